"""Customers through the API: data-entry standards, duplicates, versions, soft delete, merge, pagination,
filters, and what each role may see."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from rapport.models import AuditEntry, Customer, Department, Interaction, OutboxEvent
from tests.support.graphql import gql
from tests.support.personas import cast

CREATE = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id name email phone tags version segment tier department { code } owner { email }
               address { city country } classification { reasons { rule plugin explanation } } }
    errors { code message path }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateCustomerInput!, $v: Int) {
  updateCustomer(id: $id, input: $input, expectedVersion: $v) { customer { id name version phone } errors { code message path } }
}"""


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


async def create(http, headers, **fields):
    body = (await gql(http, CREATE, headers, input=fields)).json()
    assert "errors" not in body, body
    return body["data"]["createCustomer"]


async def test_create_normalizes_input_and_records_reasons(http, people) -> None:
    result = await create(http, people["sales"].headers, name="  王   小明 ", email=" Wang.XM@Example.COM ",
                          phone="+86 138 0013 8000", tags=["VIP", "vip", " Lead "], address={"city": " Shanghai ", "country": "cn"})
    customer = result["customer"]
    assert result["errors"] == []
    assert customer["name"] == "王 小明" and customer["email"] == "wang.xm@example.com"
    assert customer["phone"] == "+8613800138000" and customer["tags"] == ["vip", "lead"]
    assert customer["address"] == {"city": "Shanghai", "country": "CN"}
    assert customer["department"] == {"code": "sales"} and customer["owner"] == {"email": "sales.rep@example.com"}
    assert customer["version"] == 1 and customer["segment"] == "POTENTIAL"
    # the classes by the default rules, and each tag the person set (rule manual.tag)
    assert {r["rule"] for r in customer["classification"]["reasons"]} == {"default.segment", "default.tier", "manual.tag"}


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"name": "  "}, "REQUIRED", ["input", "name"]),
        ({"name": "x" * 201}, "INVALID", ["input", "name"]),
        ({"name": "A", "email": "not-an-email"}, "INVALID", ["input", "email"]),
        ({"name": "A", "phone": "12"}, "INVALID", ["input", "phone"]),
        ({"name": "A", "address": {"country": "ZZ"}}, "INVALID", ["input", "address", "country"]),
        ({"name": "A", "tags": ["t" * 51]}, "INVALID", ["input", "tags", "0"]),
        ({"name": "A", "department": "nowhere"}, "INVALID", ["input", "department"]),
        ({"name": "A", "custom": [1, 2]}, "INVALID", ["input", "custom"]),
    ],
)
async def test_each_validation_rule_names_its_field(http, people, fields, code, path) -> None:
    result = await create(http, people["sales"].headers, **fields)
    assert result["customer"] is None
    assert [(e["code"], e["path"]) for e in result["errors"]] == [(code, path)]


async def test_all_problems_are_reported_at_once(http, people) -> None:
    result = await create(http, people["sales"].headers, name="", email="bad", phone="bad")
    assert {tuple(e["path"]) for e in result["errors"]} == {("input", "name"), ("input", "email"), ("input", "phone")}
    assert await Customer.all().count() == 0


async def test_duplicate_email_or_phone_names_the_existing_customer_only(http, people) -> None:
    # The sales lead reads the department's personal data in full, so may be told which customer it is
    # (tests/graphql/test_duplicate_privacy.py: who else is told nothing).
    first = await create(http, people["sales"].headers, name="Ann", email="ann@example.com", phone="+14155552671")
    again = await create(http, people["lead"].headers, name="Other", email="ANN@example.com", phone="(415) 555-2671")
    assert {e["code"] for e in again["errors"]} == {"DUPLICATE"}
    assert {tuple(e["path"]) for e in again["errors"]} == {("input", "email"), ("input", "phone")}
    for error in again["errors"]:
        assert first["customer"]["id"] in error["message"] and "Ann" not in error["message"]


async def test_deleted_customers_do_not_block_their_email(http, people) -> None:
    first = await create(http, people["lead"].headers, name="Ann", email="ann@example.com")
    deleted = (await gql(http, 'mutation($id: ID!) { deleteCustomer(id: $id) { errors { code } } }', people["lead"].headers, id=first["customer"]["id"])).json()
    assert deleted["data"]["deleteCustomer"]["errors"] == []
    assert (await create(http, people["lead"].headers, name="Ann again", email="ann@example.com"))["errors"] == []


async def test_update_bumps_version_and_stale_version_conflicts(http, people) -> None:
    customer = (await create(http, people["sales"].headers, name="Ann"))["customer"]
    ok = (await gql(http, UPDATE, people["sales"].headers, id=customer["id"], input={"phone": "+14155552671"}, v=1)).json()
    assert ok["data"]["updateCustomer"]["customer"]["version"] == 2
    stale = (await gql(http, UPDATE, people["sales"].headers, id=customer["id"], input={"name": "Bob"}, v=1)).json()
    assert [e["code"] for e in stale["data"]["updateCustomer"]["errors"]] == ["CONFLICT"]
    assert (await Customer.first()).name == "Ann"


async def test_fifty_concurrent_updates_from_one_version_one_wins(http, people) -> None:
    customer = (await create(http, people["sales"].headers, name="Ann"))["customer"]
    results = await asyncio.gather(*(
        gql(http, UPDATE, people["sales"].headers, id=customer["id"], input={"title": f"T{i}"}, v=1) for i in range(50)
    ))
    outcomes = [r.json()["data"]["updateCustomer"] for r in results]
    assert sum(1 for o in outcomes if o["customer"]) == 1
    assert sum(1 for o in outcomes if [e["code"] for e in o["errors"]] == ["CONFLICT"]) == 49
    assert (await Customer.first()).version == 2


async def test_fifty_concurrent_unversioned_updates_all_apply(http, people) -> None:
    """Without expectedVersion there is no CONFLICT: each update applies on the latest version."""
    customer = (await create(http, people["sales"].headers, name="Ann"))["customer"]
    results = await asyncio.wait_for(asyncio.gather(*(
        gql(http, UPDATE, people["sales"].headers, id=customer["id"], input={"title": f"T{i}"}) for i in range(50)
    )), timeout=120)
    outcomes = [r.json()["data"]["updateCustomer"] for r in results]
    assert [o["errors"] for o in outcomes] == [[]] * 50
    assert sorted(o["customer"]["version"] for o in outcomes) == list(range(2, 52))  # one increment each
    row = await Customer.get(id=(await Customer.first()).id)
    assert row.version == 51 and row.title in {f"T{i}" for i in range(50)}
    assert await AuditEntry.filter(action="customer.update", entity_id=str(row.id)).count() == 50
    assert await OutboxEvent.filter(topic="customer.updated", entity_id=str(row.id)).count() == 50


async def test_every_mutation_is_audited_without_pii_values(http, people) -> None:
    customer = (await create(http, people["sales"].headers, name="Ann", email="ann@example.com"))["customer"]
    await gql(http, UPDATE, people["sales"].headers, id=customer["id"], input={"phone": "+14155552671"})
    entries = await AuditEntry.filter(entity="customer").order_by("id")
    assert [e.action for e in entries] == ["customer.create", "customer.update"]
    assert entries[0].actor == "user:sales.rep@example.com" and "email" in entries[0].fields_changed
    assert entries[1].fields_changed == ["phone"]
    assert "ann@example.com" not in str([(e.fields_changed, e.data) for e in entries])


async def test_merge_moves_history_and_soft_deletes_duplicates(http, people) -> None:
    headers = people["lead"].headers
    survivor = (await create(http, headers, name="Ann", tags=["a"]))["customer"]
    duplicate = (await create(http, headers, name="Ann B.", company="Acme", tags=["b"]))["customer"]
    dup_row = await Customer.get(name="Ann B.")
    await Interaction.create(customer=dup_row, channel="call", direction="inbound", subject="hi", occurred_at=dup_row.created_at)
    merged = (await gql(http, "mutation($s: ID!, $d: [ID!]!) { mergeCustomers(survivor: $s, duplicates: $d) { customer { company tags } merged errors { code } } }",
                        headers, s=survivor["id"], d=[duplicate["id"]])).json()["data"]["mergeCustomers"]
    assert merged["errors"] == [] and merged["merged"] == [duplicate["id"]]
    assert merged["customer"] == {"company": "Acme", "tags": ["a", "b"]}
    assert await Interaction.filter(customer_id=(await Customer.get(name="Ann")).id).count() == 1
    gone = await Customer.get(name="Ann B.")
    assert gone.deleted_at is not None and gone.merged_into_id == (await Customer.get(name="Ann")).id
    assert (await gql(http, "query($id: ID!) { customer(id: $id) { id } }", headers, id=duplicate["id"])).json()["data"]["customer"] is None


LIST = """
query($first: Int, $after: String, $last: Int, $before: String, $order: [CustomerOrder!], $where: CustomerFilter) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $order, where: $where) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id name }
  }
}"""


async def _seed_list(n: int = 23) -> None:
    sales = await Department.get(code="sales")
    names = ["delta", "alpha", "Charlie", "bravo", "alpha"]
    for i in range(n):
        c = await Customer.create(name=f"{names[i % 5]} {i // 5}", department=sales, tier=["high", "ordinary", "potential"][i % 3])
        if i % 4:  # some without interactions (NULL sorts last)
            from datetime import UTC, datetime, timedelta
            await Customer.filter(id=c.id).update(last_interaction_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=i % 6))


async def _walk(http, headers, order, forward: bool) -> list[str]:
    seen, cursor = [], None
    for _ in range(20):
        args = {"first": 5, "after": cursor} if forward else {"last": 5, "before": cursor}
        page = (await gql(http, LIST, headers, order=order, **args)).json()["data"]["customers"]
        ids = [n["id"] for n in page["nodes"]]
        seen = seen + ids if forward else ids + seen
        more = page["pageInfo"]["hasNextPage"] if forward else page["pageInfo"]["hasPreviousPage"]
        if not more:
            return seen
        cursor = page["pageInfo"]["endCursor" if forward else "startCursor"]
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("field", ["CREATED_AT", "UPDATED_AT", "NAME", "LAST_INTERACTION_AT", "TIER"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_pages_both_ways_lose_and_repeat_nothing(http, people, field, direction) -> None:
    await _seed_list()
    order = [{"field": field, "direction": direction}]
    whole = (await gql(http, LIST, people["lead"].headers, order=order, first=100)).json()["data"]["customers"]
    expected = [n["id"] for n in whole["nodes"]]
    assert whole["totalCount"] == len(expected) == 23
    assert await _walk(http, people["lead"].headers, order, forward=True) == expected
    assert await _walk(http, people["lead"].headers, order, forward=False) == expected


async def test_page_size_limit_is_a_clear_error(http, people) -> None:
    body = (await gql(http, LIST, people["lead"].headers, first=101)).json()
    assert "first must be between 0 and 100" in body["errors"][0]["message"]


async def test_cursor_from_another_ordering_is_rejected(http, people) -> None:
    await _seed_list(6)
    page = (await gql(http, LIST, people["lead"].headers, first=2, order=[{"field": "NAME", "direction": "ASC"}])).json()
    cursor = page["data"]["customers"]["pageInfo"]["endCursor"]
    body = (await gql(http, LIST, people["lead"].headers, first=2, after=cursor)).json()
    assert "invalid cursor" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"name": {"eq": "Ann Lee"}}, {"Ann Lee"}),
        ({"name": {"ne": "Ann Lee"}}, {"Bob Stone", "Cid"}),
        ({"name": {"in": ["Cid", "Bob Stone"]}}, {"Bob Stone", "Cid"}),
        ({"name": {"contains": "stON"}}, {"Bob Stone"}),
        ({"name": {"startsWith": "an"}}, {"Ann Lee"}),
        ({"company": {"isNull": True}}, {"Cid"}),
        ({"company": {"ne": "Acme"}}, {"Bob Stone", "Cid"}),
        ({"tier": ["HIGH"]}, {"Ann Lee"}),
        ({"segment": ["EXISTING", "CHURNED"]}, {"Ann Lee", "Bob Stone"}),
        ({"tag": "VIP"}, {"Ann Lee"}),
        ({"custom": {"points": {"gte": 10}}}, {"Ann Lee"}),
        ({"custom": {"region": {"eq": "north"}}}, {"Bob Stone"}),
        ({"custom": {"region": {"isNull": True}}}, {"Ann Lee", "Cid"}),
        ({"search": "acme"}, {"Ann Lee"}),
        ({"search": "ann@"}, {"Ann Lee"}),
        ({"or": [{"tier": ["HIGH"]}, {"name": {"eq": "Cid"}}]}, {"Ann Lee", "Cid"}),
        ({"not": {"tier": ["HIGH"]}}, {"Bob Stone", "Cid"}),
        ({"and": [{"segment": ["EXISTING"]}, {"company": {"eq": "Acme"}}]}, {"Ann Lee"}),
        ({"department": ["support"]}, set()),
    ],
)
async def test_filters(http, people, where, expected) -> None:
    sales = await Department.get(code="sales")
    await Customer.create(name="Ann Lee", email="ann@example.com", company="Acme", tier="high", segment="existing", tags=["vip"], custom={"points": 12}, department=sales)
    await Customer.create(name="Bob Stone", company="Globex", segment="churned", tier="ordinary", custom={"points": 3, "region": "north"}, department=sales)
    await Customer.create(name="Cid", department=sales)
    body = (await gql(http, LIST, people["lead"].headers, where=where, first=50)).json()
    assert "errors" not in body, body
    assert {n["name"] for n in body["data"]["customers"]["nodes"]} == expected


# ---------------------------------------------------------------- who sees what

FIELDS = "{ id name email phone address { city country line1 } }"


async def _pair() -> tuple[Customer, Customer, Customer]:
    sales, support = await Department.get(code="sales"), await Department.get(code="support")
    from rapport.models import Agent

    rep = await Agent.get(email="sales.rep@example.com")
    own = await Customer.create(name="Own", email="own@example.com", phone="+8613800138000", address_city="Shanghai",
                                address_country="CN", address_line1="1 Road", department=sales, owner=rep)
    other = await Customer.create(name="Other", email="other@example.com", phone="+14155552671", department=sales)
    theirs = await Customer.create(name="Theirs", email="theirs@example.com", phone="+442079460958", department=support)
    return own, other, theirs


async def _customers_seen(http, headers) -> tuple[dict[str, dict], dict]:
    body = (await gql(http, "{ customers(first: 50) { nodes " + FIELDS + " } }", headers)).json()
    return {n["name"]: n for n in body["data"]["customers"]["nodes"]}, body.get("extensions", {})


async def test_sales_agent_sees_own_pii_in_full_others_masked_and_no_support_rows(http, people) -> None:
    await _pair()
    seen, extensions = await _customers_seen(http, people["sales"].headers)
    assert set(seen) == {"Own", "Other"}
    assert seen["Own"]["phone"] == "+8613800138000" and seen["Own"]["address"]["line1"] == "1 Road"
    assert seen["Other"]["email"] == "o***@example.com" and seen["Other"]["phone"] == "+1 415***2671"
    assert {(r["field"], r["mode"]) for r in extensions["redactions"]} >= {("Customer.email", "masked"), ("Customer.phone", "masked")}


async def test_analyst_never_receives_pii(http, people) -> None:
    await _pair()
    seen, extensions = await _customers_seen(http, people["analyst"].headers)
    assert set(seen) == {"Own", "Other", "Theirs"}
    assert all(c["email"] is None and c["phone"] is None and c["address"] is None for c in seen.values())
    assert {(r["field"], r["mode"]) for r in extensions["redactions"]} >= {("Customer.phone", "hidden")}


async def test_support_agent_reads_every_department_with_pii_masked(http, people) -> None:
    await _pair()
    seen, _ = await _customers_seen(http, people["support"].headers)
    assert set(seen) == {"Own", "Other", "Theirs"}
    assert seen["Own"]["email"] == "o***@example.com" and seen["Own"]["address"] == {"city": "Shanghai", "country": "CN", "line1": None}


async def test_security_admin_sees_no_customer(http, people) -> None:
    await _pair()
    body = (await gql(http, "{ customers(first: 5) { nodes { id } } }", people["security"].headers)).json()
    assert body["data"] is None or body["data"]["customers"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_no_query_shape_lets_a_sales_agent_read_a_support_customer(http, people) -> None:
    *_, theirs = await _pair()
    from rapport.graphql.core.ids import to_global_id

    gid = to_global_id("Customer", theirs.id)
    headers = people["sales"].headers
    shapes = [
        ("query($id: ID!) { customer(id: $id) { name } }", lambda d: d["customer"]),
        ("query($id: ID!) { sneaky: customer(id: $id) { alias: name } }", lambda d: d["sneaky"]),
        ("query($id: ID!) { node(id: $id) { ... on Customer { name phone } } }", lambda d: d["node"]),
        ("query($id: ID!) { nodes(ids: [$id]) { ...F } } fragment F on Customer { name }", lambda d: d["nodes"][0]),
        ("query($id: ID!) { customers(first: 50, where: {id: {eq: $id}}) { nodes { name } } }", lambda d: d["customers"]["nodes"] or None),
        ("query($id: ID!) { customers(first: 50, where: {or: [{search: \"Theirs\"}, {id: {eq: $id}}]}) { totalCount nodes { name } } }",
         lambda d: (d["customers"]["nodes"] or None) if d["customers"]["totalCount"] == 0 else "counted!"),
    ]
    for query, pick in shapes:
        body = (await gql(http, query, headers, id=gid)).json()
        assert "Theirs" not in str(body) and pick(body["data"]) is None, query


async def test_a_sales_agent_cannot_change_a_support_customer(http, people) -> None:
    *_, theirs = await _pair()
    from rapport.graphql.core.ids import to_global_id

    body = (await gql(http, UPDATE, people["sales"].headers, id=to_global_id("Customer", theirs.id), input={"name": "Hacked"})).json()
    assert [e["code"] for e in body["data"]["updateCustomer"]["errors"]] == ["NOT_FOUND"]
    assert (await Customer.get(id=theirs.id)).name == "Theirs"


async def test_an_agent_cannot_update_a_customer_owned_by_someone_else(http, people) -> None:
    _, other, _ = await _pair()
    from rapport.graphql.core.ids import to_global_id

    body = (await gql(http, UPDATE, people["sales"].headers, id=to_global_id("Customer", other.id), input={"name": "X"})).json()
    assert [e["code"] for e in body["data"]["updateCustomer"]["errors"]] == ["FORBIDDEN"]


async def test_filtering_on_masked_pii_reveals_nothing(http, people) -> None:
    await _pair()
    body = (await gql(http, LIST, people["sales"].headers, where={"email": {"eq": "other@example.com"}}, first=10)).json()
    assert body["data"]["customers"]["totalCount"] == 0
    body = (await gql(http, LIST, people["sales"].headers, where={"email": {"eq": "own@example.com"}}, first=10)).json()
    assert [n["name"] for n in body["data"]["customers"]["nodes"]] == ["Own"]


async def test_nested_paths_do_not_reach_a_support_customer_either(http, people) -> None:
    *_, theirs = await _pair()
    from datetime import UTC, datetime, timedelta

    from rapport.models import Ticket

    now = datetime.now(UTC)
    await Interaction.create(customer=theirs, channel="call", direction="inbound", subject="private call", occurred_at=now)
    await Ticket.create(number="T-000001", subject="private ticket", customer=theirs, department_id=theirs.department_id,
                        first_response_due_at=now + timedelta(hours=1), resolution_due_at=now + timedelta(hours=4))
    headers = people["sales"].headers
    for query in (
        "{ tickets(first: 50) { totalCount nodes { subject customer { name phone } } } }",
        "{ interactions(first: 50) { totalCount nodes { subject customer { name } } } }",
        "{ customers(first: 50) { nodes { name tickets(first: 5) { nodes { subject } } interactions(first: 5) { nodes { subject } } } } }",
    ):
        body = (await gql(http, query, headers)).json()
        assert "errors" not in body, body
        assert "Theirs" not in str(body) and "private" not in str(body), query


async def test_an_api_key_never_exceeds_its_own_roles(http, people) -> None:
    await _pair()
    from rapport.auth.actor import RoleGrant
    from rapport.auth.apikeys import create_api_key

    _, raw = await create_api_key("erp", [RoleGrant("agent", "sales")])
    seen, _ = await _customers_seen(http, {"Authorization": f"Bearer {raw}"})
    assert set(seen) == {"Own", "Other"}, "a sales key sees sales customers only"
    assert all(c["email"].startswith(("o***", "O***")) for c in seen.values()), "a key owns no customer: PII is masked"
    created = (await gql(http, CREATE, {"Authorization": f"Bearer {raw}"}, input={"name": "By key", "department": "support"})).json()
    assert [e["code"] for e in created["data"]["createCustomer"]["errors"]] == ["FORBIDDEN"]
    _, analyst_key = await create_api_key("bi", [RoleGrant("analyst", "*")])
    seen, _ = await _customers_seen(http, {"Authorization": f"Bearer {analyst_key}"})
    assert set(seen) == {"Own", "Other", "Theirs"} and all(c["phone"] is None for c in seen.values())
