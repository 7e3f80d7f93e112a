"""Interactions through the API: logging and its validation, idempotency, what each role may list or log,
filters, pagination (root and nested under customers) and the number of SQL statements per page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.graphql.core.ids import to_global_id
from rapport.models import Customer, Department, Interaction, Ticket
from tests.support.graphql import gql
from tests.support.personas import cast
from rapport.sql_count import count_statements

LOG = """
mutation($input: LogInteractionInput!) {
  logInteraction(input: $input) {
    interaction { id subject body channel direction occurredAt durationSeconds custom createdAt
                  agent { email } customer { id name lastInteractionAt } }
    errors { code message path }
  }
}"""
LIST = """
query($first: Int, $after: String, $last: Int, $before: String, $where: InteractionFilter, $orderBy: [InteractionOrder!]) {
  interactions(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {
    nodes { id subject }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""
NESTED = """
query($id: ID!, $first: Int, $after: String, $where: InteractionFilter) {
  customer(id: $id) {
    interactions(first: $first, after: $after, where: $where) {
      nodes { id subject } pageInfo { hasNextPage hasPreviousPage endCursor } totalCount
    }
  }
}"""
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


async def customer_in(code: str, name: str = "Acme") -> Customer:
    return await Customer.create(name=name, department=await Department.get(code=code))


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


async def log(http, headers, on: Customer, **fields) -> dict:
    data = {"customer": gid("Customer", on.id), "channel": "CALL", "direction": "INBOUND", "subject": "Hello", **fields}
    body = (await gql(http, LOG, headers, input=data)).json()
    assert "errors" not in body, body
    return body["data"]["logInteraction"]


async def listed(http, headers, **variables) -> dict:
    body = (await gql(http, LIST, headers, **variables)).json()
    assert "errors" not in body, body
    return body["data"]["interactions"]


# --- logging ------------------------------------------------------------------------------------------------


async def test_log_returns_the_interaction_and_moves_last_interaction_at(http, people) -> None:
    customer = await customer_in("sales")
    result = await log(http, people["sales"].headers, customer, channel="EMAIL", direction="OUTBOUND", subject=" Quote\tsent ",
                       body="Dear Ann,\n\n  see attached.\n", occurredAt="2025-02-03T04:05:06+08:00", durationSeconds=0,
                       custom={"campaign": "spring"})
    assert result["errors"] == []
    interaction = result["interaction"]
    assert interaction["subject"] == "Quote sent" and interaction["body"] == "Dear Ann,\n\n  see attached."
    assert (interaction["channel"], interaction["direction"]) == ("EMAIL", "OUTBOUND")
    assert interaction["occurredAt"] == "2025-02-02T20:05:06+00:00"
    assert interaction["durationSeconds"] == 0 and interaction["custom"] == {"campaign": "spring"}
    assert interaction["agent"] == {"email": "sales.rep@example.com"}
    assert interaction["customer"]["id"] == gid("Customer", customer.id)
    assert interaction["customer"]["lastInteractionAt"] == "2025-02-02T20:05:06+00:00"
    assert interaction["id"] == gid("Interaction", (await Interaction.get()).id)


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"subject": "s" * 301}, "INVALID", ["input", "subject"]),
        ({"subject": "   "}, "REQUIRED", ["input", "subject"]),
        ({"body": "b" * 100_001}, "INVALID", ["input", "body"]),
        ({"durationSeconds": -1}, "INVALID", ["input", "durationSeconds"]),
        ({"durationSeconds": 86_400 * 7 + 1}, "INVALID", ["input", "durationSeconds"]),
        ({"occurredAt": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "INVALID", ["input", "occurredAt"]),
        ({"custom": "text"}, "INVALID", ["input", "custom"]),
        ({"customer": gid("Customer", 999_999)}, "NOT_FOUND", ["input", "customer"]),
        ({"customer": gid("Agent", 1)}, "INVALID", ["input", "customer"]),
        ({"ticket": gid("Customer", 1)}, "INVALID", ["input", "ticket"]),
    ],
)
async def test_each_validation_rule_names_its_field(http, people, fields, code, path) -> None:
    result = await log(http, people["sales"].headers, await customer_in("sales"), **fields)
    assert result["interaction"] is None
    assert [(e["code"], e["path"]) for e in result["errors"]] == [(code, path)]
    assert await Interaction.all().count() == 0


async def test_ticket_of_another_customer_is_invalid(http, people) -> None:
    mine, other = await customer_in("sales", "Mine"), await customer_in("sales", "Other")
    now = datetime.now(UTC)
    ticket = await Ticket.create(number="T-000009", subject="x", customer=other, department_id=other.department_id,
                                 first_response_due_at=now, resolution_due_at=now)
    result = await log(http, people["sales"].headers, mine, ticket=gid("Ticket", ticket.id))
    assert [(e["code"], e["path"]) for e in result["errors"]] == [("INVALID", ["input", "ticket"])]


async def test_same_idempotency_key_twice_returns_the_first_interaction(http, people) -> None:
    customer = await customer_in("sales")
    headers = people["sales"].headers
    first = await log(http, headers, customer, idempotencyKey="form-submit-1")
    again = await log(http, headers, customer, idempotencyKey="form-submit-1")
    assert again["interaction"]["id"] == first["interaction"]["id"]
    assert await Interaction.all().count() == 1
    other = await log(http, headers, customer, subject="Different", idempotencyKey="form-submit-1")
    assert [(e["code"], e["path"]) for e in other["errors"]] == [("INVALID", ["input", "idempotencyKey"])]


# --- who may log and list -------------------------------------------------------------------------------------


async def test_sales_agent_can_neither_list_nor_log_on_a_support_customer(http, people, settings) -> None:
    support_customer = await customer_in("support")
    theirs = await log(http, people["support"].headers, support_customer, subject="Support call")
    sales = people["sales"].headers

    refused = await log(http, sales, support_customer)
    assert [(e["code"], e["path"]) for e in refused["errors"]] == [("NOT_FOUND", ["input", "customer"])]
    assert (await listed(http, sales))["nodes"] == []
    assert (await listed(http, sales))["totalCount"] == 0
    by_customer = await listed(http, sales, where={"customer": {"eq": gid("Customer", support_customer.id)}})
    assert by_customer["nodes"] == []
    node = (await gql(http, "query($id: ID!) { node(id: $id) { id } }", sales, id=theirs["interaction"]["id"])).json()
    assert node["data"]["node"] is None
    assert (await gql(http, NESTED, sales, id=gid("Customer", support_customer.id))).json()["data"]["customer"] is None


async def test_support_agent_sees_sales_customers_but_not_their_interactions(http, people) -> None:
    sales_customer = await customer_in("sales")
    await log(http, people["sales"].headers, sales_customer)
    support = people["support"].headers
    refused = await log(http, support, sales_customer)
    assert [(e["code"], e["path"]) for e in refused["errors"]] == [("FORBIDDEN", ["input", "customer"])]
    nested = (await gql(http, NESTED, support, id=gid("Customer", sales_customer.id))).json()["data"]["customer"]
    assert nested["interactions"]["nodes"] == [] and nested["interactions"]["totalCount"] == 0
    assert (await listed(http, support))["nodes"] == []


async def test_security_admin_is_refused_at_the_gate(http, people) -> None:
    customer = await customer_in("sales")
    headers = people["security"].headers
    body = (await gql(http, LIST, headers)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await log(http, headers, customer)
    assert refused["interaction"] is None and [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]


async def test_analyst_lists_every_department_and_node_resolves(http, people) -> None:
    a = await log(http, people["sales"].headers, await customer_in("sales"), subject="A")
    b = await log(http, people["support"].headers, await customer_in("support"), subject="B")
    everything = await listed(http, people["analyst"].headers, orderBy=[{"field": "CREATED_AT", "direction": "ASC"}])
    assert [n["id"] for n in everything["nodes"]] == [a["interaction"]["id"], b["interaction"]["id"]]
    node = (await gql(http, "query($id: ID!) { node(id: $id) { ... on Interaction { subject customer { name } } } }",
                      people["sales"].headers, id=a["interaction"]["id"])).json()
    assert node["data"]["node"] == {"subject": "A", "customer": {"name": "Acme"}}


async def test_interactions_of_deleted_customers_disappear(http, people) -> None:
    customer = await customer_in("sales")
    await log(http, people["sales"].headers, customer)
    await Customer.filter(id=customer.id).update(deleted_at=datetime.now(UTC))
    assert (await listed(http, people["sales"].headers))["totalCount"] == 0


# --- filters --------------------------------------------------------------------------------------------------


async def _seed_filters(people) -> dict[str, Customer]:
    ann, bob = await customer_in("sales", "Ann"), await customer_in("sales", "Bob")
    rep, other = people["sales"].agent, people["sales2"].agent
    rows = [
        (ann, rep, "call", "inbound", "Pricing question", None, 0),
        (ann, other, "email", "outbound", "Quote sent", "pricing attached", 1),
        (bob, rep, "meeting", "outbound", "Kick-off", None, 2),
        (bob, rep, "email", "inbound", "Complaint", "late delivery", 3),
    ]
    for customer, agent, channel, direction, subject, body, day in rows:
        await Interaction.create(customer=customer, agent=agent, channel=channel, direction=direction, subject=subject,
                                 body=body, occurred_at=T0 + timedelta(days=day))
    return {"ann": ann, "bob": bob}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"channel": ["EMAIL"]}, {"Quote sent", "Complaint"}),
        ({"channel": ["CALL", "MEETING"]}, {"Pricing question", "Kick-off"}),
        ({"direction": "OUTBOUND"}, {"Quote sent", "Kick-off"}),
        ({"occurredAt": {"gte": "2025-01-02T00:00:00+00:00", "lt": "2025-01-04T00:00:00+00:00"}}, {"Quote sent", "Kick-off"}),
        ({"search": "PRICING"}, {"Pricing question", "Quote sent"}),
        ({"search": "delivery"}, {"Complaint"}),
        ({"customer": {"eq": "ann"}}, {"Pricing question", "Quote sent"}),
        ({"agent": {"eq": "sales2"}}, {"Quote sent"}),
        ({"ticket": {"isNull": True}, "direction": "INBOUND"}, {"Pricing question", "Complaint"}),
        ({"or": [{"channel": ["CALL"]}, {"search": "kick"}]}, {"Pricing question", "Kick-off"}),
        ({"not": {"channel": ["EMAIL"]}, "customer": {"in": ["bob"]}}, {"Kick-off"}),
    ],
)
async def test_filters(http, people, where, expected) -> None:
    customers = await _seed_filters(people)

    def resolve(value):  # names stand for ids that exist only once seeded
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if value in customers:
            return gid("Customer", customers[value].id)
        if value in people:
            return gid("Agent", people[value].agent.id)
        return value

    page = await listed(http, people["sales"].headers, where=resolve(where))
    assert {n["subject"] for n in page["nodes"]} == expected
    assert page["totalCount"] == len(expected)


async def test_a_wrong_id_in_a_filter_is_a_clear_error(http, people) -> None:
    body = (await gql(http, LIST, people["sales"].headers, where={"customer": {"eq": gid("Agent", 1)}})).json()
    assert "where.customer.eq" in body["errors"][0]["message"]


# --- pagination -----------------------------------------------------------------------------------------------


async def _seed_page(customer: Customer, n: int = 23) -> None:
    for i in range(n):  # groups of three share an occurredAt: the id breaks ties
        await Interaction.create(customer=customer, channel="call", direction="inbound", subject=f"#{i}",
                                 occurred_at=T0 + timedelta(hours=i // 3))


async def _walk(http, headers, order, forward: bool) -> list[str]:
    seen, cursor = [], None
    for _ in range(20):
        args = {"first": 5, "after": cursor} if forward else {"last": 5, "before": cursor}
        page = await listed(http, headers, orderBy=order, **args)
        ids = [n["id"] for n in page["nodes"]]
        seen = seen + ids if forward else ids + seen
        more = page["pageInfo"]["hasNextPage"] if forward else page["pageInfo"]["hasPreviousPage"]
        if not more:
            return seen
        cursor = page["pageInfo"]["endCursor" if forward else "startCursor"]
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("field", ["OCCURRED_AT", "CREATED_AT"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_pages_both_ways_lose_and_repeat_nothing(http, people, field, direction) -> None:
    await _seed_page(await customer_in("sales"))
    headers = people["sales"].headers
    order = [{"field": field, "direction": direction}]
    everything = [n["id"] for n in (await listed(http, headers, first=100, orderBy=order))["nodes"]]
    assert len(everything) == len(set(everything)) == 23
    assert await _walk(http, headers, order, forward=True) == everything
    assert await _walk(http, headers, order, forward=False) == everything


async def test_default_order_is_newest_first(http, people) -> None:
    await _seed_page(await customer_in("sales"), n=6)
    subjects = [n["subject"] for n in (await listed(http, people["sales"].headers))["nodes"]]
    assert subjects == ["#5", "#4", "#3", "#2", "#1", "#0"]


async def test_page_size_and_cursor_errors_are_clear(http, people) -> None:
    headers = people["sales"].headers
    too_big = (await gql(http, LIST, headers, first=101)).json()
    assert "between 0 and 100" in too_big["errors"][0]["message"]
    await _seed_page(await customer_in("sales"), n=3)
    cursor = (await listed(http, headers, first=1))["pageInfo"]["endCursor"]
    wrong = (await gql(http, LIST, headers, after=cursor, orderBy=[{"field": "CREATED_AT"}])).json()
    assert "invalid cursor" in wrong["errors"][0]["message"]


async def test_nested_pages_under_a_customer_lose_and_repeat_nothing(http, people) -> None:
    customer, other = await customer_in("sales", "Mine"), await customer_in("sales", "Other")
    await _seed_page(customer)
    await _seed_page(other, n=4)
    headers = people["sales"].headers
    expected = [n["id"] for n in (await listed(http, headers, first=100, where={"customer": {"eq": gid("Customer", customer.id)}}))["nodes"]]
    seen, cursor = [], None
    for _ in range(10):
        page = (await gql(http, NESTED, headers, id=gid("Customer", customer.id), first=4, after=cursor)).json()
        connection = page["data"]["customer"]["interactions"]
        assert connection["totalCount"] == 23
        assert connection["pageInfo"]["hasPreviousPage"] == (cursor is not None)
        seen += [n["id"] for n in connection["nodes"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        cursor = connection["pageInfo"]["endCursor"]
    assert seen == expected and len(expected) == 23


async def test_nested_filter_applies(http, people) -> None:
    customer = await customer_in("sales")
    await _seed_page(customer, n=5)
    page = (await gql(http, NESTED, people["sales"].headers, id=gid("Customer", customer.id), where={"search": "#3"})).json()
    assert [n["subject"] for n in page["data"]["customer"]["interactions"]["nodes"]] == ["#3"]


async def _statements_for_page(http, headers, customers: int, agent_id: int) -> int:
    sales = await Department.get(code="sales")
    for i in range(customers):
        customer = await Customer.create(name=f"C{i}", department=sales)
        for j in range(4):
            await Interaction.create(customer=customer, agent_id=agent_id, channel="call", direction="inbound",
                                     subject=f"{i}.{j}", occurred_at=T0 + timedelta(minutes=j))
    query = """{ customers(first: 50) { nodes { name
        interactions(first: 3) { nodes { subject customer { name } agent { name } } totalCount pageInfo { hasNextPage } }
        recent: interactions(first: 1, where: { channel: [CALL] }) { nodes { subject } } } } }"""
    await gql(http, query, headers)  # warm: the policy and the department codes are read once per process
    with count_statements() as counter:
        body = (await gql(http, query, headers)).json()
    assert "errors" not in body, body
    nodes = body["data"]["customers"]["nodes"]
    assert len(nodes) == customers
    assert all(len(n["interactions"]["nodes"]) == 3 and n["interactions"]["totalCount"] == 4 for n in nodes)
    assert all(n["interactions"]["pageInfo"]["hasNextPage"] and len(n["recent"]["nodes"]) == 1 for n in nodes)
    # The policy version is polled every few seconds whatever the query: not the query's cost.
    return len([sql for sql in counter.statements if "counters" not in sql])


async def test_nested_interactions_cost_a_fixed_number_of_statements(http, people) -> None:
    headers, agent_id = people["sales"].headers, people["sales"].agent.id
    small = await _statements_for_page(http, headers, 5, agent_id)
    await Interaction.all().delete()
    await Customer.all().delete()
    large = await _statements_for_page(http, headers, 50, agent_id)
    assert large == small, f"{small} statements for 5 customers, {large} for 50"


async def test_interaction_shows_its_ticket(http, people) -> None:
    customer = await customer_in("sales")
    now = datetime.now(UTC)
    ticket = await Ticket.create(number="T-000001", subject="x", customer=customer, department_id=customer.department_id,
                                 first_response_due_at=now, resolution_due_at=now)
    logged = await log(http, people["sales"].headers, customer, direction="OUTBOUND", ticket=gid("Ticket", ticket.id))
    query = "query($id: ID!) { node(id: $id) { ... on Interaction { ticket { number } } } }"
    body = (await gql(http, query, people["sales"].headers, id=logged["interaction"]["id"])).json()
    assert body["data"]["node"]["ticket"] == {"number": "T-000001"}
    assert (await Ticket.get(id=ticket.id)).first_responded_at is not None
