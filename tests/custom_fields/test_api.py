"""Custom fields through the API: typed GraphQL fields naming their plugin, validation on every write,
filters and sorting typed by the definitions, PII custom fields masked like email, expression indexes."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from rapport.custom_fields.sql import ensure_indexes, index_name
from rapport.graphql.schema import build_schema
from rapport.graphql.sdl import export_sdl
from rapport.plugins import activated
from tests.plugins import loyalty
from tests.support.graphql import gql
from tests.support.personas import cast
from tests.support.plugins import client_for, host_with

CREATE = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id custom customFields { loyaltyPoints nickname memberSince region revenue newsletter lastVisit interests }
               tier tags classification { reasons { rule plugin target value explanation } } }
    errors { code message path }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, input: $input) { customer { custom customFields { loyaltyPoints region } } errors { code path message } }
}"""
LIST = """
query($where: CustomerFilter, $orderBy: [CustomerOrder!], $after: String, $first: Int) {
  customers(where: $where, orderBy: $orderBy, first: $first, after: $after) {
    nodes { name customFields { loyaltyPoints revenue nickname } custom }
    pageInfo { endCursor hasNextPage }
  }
}"""


@pytest.fixture
def host(settings):
    return host_with(settings, loyalty)


@pytest.fixture
async def unsynced_api(db, settings, host):
    """An app with the plugin, on a database whose policy does not yet know the plugin's PII field."""
    people = await cast(settings)
    with activated(host):
        async with client_for(settings, host) as client:
            yield client, people


@pytest.fixture
async def api(unsynced_api, host):
    """... and after the start-up step that adds the plugins' policy lines (as the app's lifespan does)."""
    from rapport.authz.plugin_policies import sync_plugin_policies

    assert await sync_plugin_policies(host) == ["g2, customer.nickname, customer.pii"]
    assert await sync_plugin_policies(host) == []  # once
    return unsynced_api


async def create(client, headers, **fields):
    body = (await gql(client, CREATE, headers, input=fields)).json()
    assert "errors" not in body, body
    return body["data"]["createCustomer"]


def test_the_schema_gains_typed_fields_whose_descriptions_name_the_plugin(host) -> None:
    sdl = export_sdl(host)
    assert "customFields: CustomerCustomFields" in sdl
    assert "Points collected. (custom field of plugin tests.plugins.loyalty)" in sdl
    assert "type CustomerCustomFields" in sdl and "loyaltyPoints: Int" in sdl and "revenue: Decimal" in sdl
    assert "memberSince: Date" in sdl and "lastVisit: DateTime" in sdl and "interests: [String!]" in sdl
    assert "region: CustomerCustomRegion" in sdl and "SOUTH_EAST" in sdl
    assert "type TicketCustomFields" in sdl and "type InteractionCustomFields" in sdl


def test_the_core_schema_has_no_custom_field_types() -> None:
    sdl = export_sdl()
    assert "customFields:" not in sdl and "CustomFields" not in sdl
    assert "scalar Date" in sdl and "scalar Decimal" in sdl  # the contract's scalars are there for plugins' fields
    build_schema()  # and it is valid


async def test_values_are_typed_and_defaults_apply(api) -> None:
    client, people = api
    result = await create(client, people["lead"].headers, name="Ann", custom={
        "nickname": "Annie", "member_since": "2020-05-01", "region": "south-east", "revenue": "1234.50",
        "newsletter": True, "last_visit": "2025-01-31T10:30:00+01:00", "interests": ["golf", "golf", "tea"], "other": {"k": 1},
    })
    assert result["errors"] == []
    fields = result["customer"]["customFields"]
    assert fields == {"loyaltyPoints": 0, "nickname": "Annie", "memberSince": "2020-05-01", "region": "SOUTH_EAST",
                      "revenue": "1234.50", "newsletter": True, "lastVisit": "2025-01-31T09:30:00+00:00",
                      "interests": ["golf", "tea"]}
    assert result["customer"]["custom"]["other"] == {"k": 1}  # keys no plugin defines are kept as given
    assert result["customer"]["custom"]["loyalty_points"] == 0  # the default


async def test_every_write_is_validated_with_the_field_path(api) -> None:
    client, people = api
    result = await create(client, people["lead"].headers, name="Bad", custom={"loyalty_points": "many", "region": "east"})
    assert {(e["code"], tuple(e["path"])) for e in result["errors"]} == {
        ("INVALID", ("input", "custom", "loyalty_points")), ("INVALID", ("input", "custom", "region")),
    }
    assert "field of plugin tests.plugins.loyalty" in result["errors"][0]["message"]
    created = await create(client, people["lead"].headers, name="Good", custom={"loyalty_points": 5, "region": "north"})
    body = (await gql(client, UPDATE, people["lead"].headers, id=created["customer"]["id"], input={"custom": {"revenue": []}})).json()
    assert body["data"]["updateCustomer"]["errors"][0]["path"] == ["input", "custom", "revenue"]
    # an update merges: the region stays, null removes a value
    body = (await gql(client, UPDATE, people["lead"].headers, id=created["customer"]["id"],
                      input={"custom": {"loyalty_points": 7, "region": None}})).json()
    assert body["data"]["updateCustomer"]["customer"]["customFields"] == {"loyaltyPoints": 7, "region": None}


async def test_a_plugin_validator_rejects_with_its_problem(api) -> None:
    client, people = api
    result = await create(client, people["lead"].headers, name="X", custom={"nickname": "admin"})
    assert result["errors"] == [{"code": "INVALID", "message": "nickname admin is reserved", "path": ["input", "custom", "nickname"]}]


async def test_required_fields_and_their_defaults_on_tickets(api) -> None:
    from rapport.models import Ticket

    client, people = api
    customer = (await create(client, people["lead"].headers, name="T"))["customer"]
    query = """mutation($input: OpenTicketInput!) { openTicket(input: $input) {
        ticket { id customFields { floor } } errors { code path } } }"""
    body = (await gql(client, query, people["lead"].headers, input={"customer": customer["id"], "subject": "Hi"})).json()
    assert body["data"]["openTicket"]["ticket"]["customFields"] == {"floor": 1}
    update = """mutation($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { errors { code path } } }"""
    ticket_id = body["data"]["openTicket"]["ticket"]["id"]
    body = (await gql(client, update, people["lead"].headers, id=ticket_id, input={"custom": {"floor": None}})).json()
    assert body["data"]["updateTicket"]["errors"] == [{"code": "REQUIRED", "path": ["input", "custom", "floor"]}]
    assert (await Ticket.first()).custom == {"floor": 1}


async def test_filters_and_sorting_are_typed_by_the_definitions(api) -> None:
    client, people = api
    for name, points, revenue in (("A", 5, "10.5"), ("B", 50, "9.75"), ("C", 500, "100"), ("D", None, None)):
        custom = {k: v for k, v in (("loyalty_points", points), ("revenue", revenue)) if v is not None}
        await create(client, people["lead"].headers, name=name, custom=custom)

    async def names(**variables):
        body = (await gql(client, LIST, people["lead"].headers, **variables)).json()
        assert "errors" not in body, body
        return [node["name"] for node in body["data"]["customers"]["nodes"]], body["data"]["customers"]["pageInfo"]

    assert (await names(where={"custom": {"loyalty_points": {"gte": 50}}}))[0] == ["B", "C"]
    assert (await names(where={"custom": {"revenue": {"gt": "10"}}}))[0] == ["A", "C"]  # numbers, not text ("9.75" > "10")
    assert (await names(where={"custom": {"revenue": {"isNull": True}}}))[0] == ["D"]
    order = [{"field": "CUSTOM", "customField": "revenue", "direction": "DESC"}]
    assert (await names(orderBy=order))[0] == ["C", "A", "B", "D"]  # nulls last
    first, page = await names(orderBy=order, first=2)
    rest, _ = await names(orderBy=order, first=2, after=page["endCursor"])
    assert first + rest == ["C", "A", "B", "D"]
    body = (await gql(client, LIST, people["lead"].headers, where={"custom": {"loyalty_points": {"gte": "many"}}})).json()
    assert "must be an integer" in body["errors"][0]["message"]
    body = (await gql(client, LIST, people["lead"].headers, orderBy=[{"field": "CUSTOM", "customField": "nickname"}])).json()
    assert "errors" not in body  # personal fields sort too, hidden values as NULL (tests/authz/test_filter_privacy.py)


async def test_tickets_sort_by_a_custom_field_in_lists_and_nested_lists(api) -> None:
    client, people = api
    headers = people["lead"].headers
    customer = (await create(client, headers, name="Building"))["customer"]
    opened = "mutation($input: OpenTicketInput!) { openTicket(input: $input) { ticket { number } errors { code } } }"
    numbers = {}
    for floor in (3, 1, 7, 2):
        body = (await gql(client, opened, headers, input={"customer": customer["id"], "subject": f"Floor {floor}",
                                                          "custom": {"floor": floor}})).json()
        numbers[floor] = body["data"]["openTicket"]["ticket"]["number"]
    by_floor = [{"field": "CUSTOM", "customField": "floor", "direction": "DESC"}]
    tickets = """query($orderBy: [TicketOrder!], $first: Int, $after: String) {
      tickets(orderBy: $orderBy, first: $first, after: $after) { nodes { number customFields { floor } } pageInfo { endCursor } } }"""
    first = (await gql(client, tickets, headers, orderBy=by_floor, first=2)).json()["data"]["tickets"]
    rest = (await gql(client, tickets, headers, orderBy=by_floor, first=2, after=first["pageInfo"]["endCursor"])).json()
    shown = [node["customFields"]["floor"] for node in first["nodes"] + rest["data"]["tickets"]["nodes"]]
    assert shown == [7, 3, 2, 1]
    nested = """query($id: ID!, $orderBy: [TicketOrder!]) { customer(id: $id) { tickets(first: 3, orderBy: $orderBy) {
      nodes { number } } } }"""
    body = (await gql(client, nested, headers, id=customer["id"], orderBy=[{"field": "CUSTOM", "customField": "floor"}])).json()
    assert [node["number"] for node in body["data"]["customer"]["tickets"]["nodes"]] == [numbers[1], numbers[2], numbers[3]]
    unknown = (await gql(client, tickets, headers, orderBy=[{"field": "CUSTOM", "customField": "storey"}])).json()
    assert "sortable: floor" in unknown["errors"][0]["message"]


async def test_a_pii_custom_field_is_masked_like_email(api) -> None:
    client, people = api
    await create(client, people["lead"].headers, name="Ann", custom={"nickname": "Annabelle"})
    lead = (await gql(client, LIST, people["lead"].headers)).json()
    assert lead["data"]["customers"]["nodes"][0]["customFields"]["nickname"] == "Annabelle"  # manager: PII in full
    rep = (await gql(client, LIST, people["sales2"].headers)).json()  # agent, not the owner: masked
    node = rep["data"]["customers"]["nodes"][0]
    assert node["customFields"]["nickname"] == "A***e" and node["custom"]["nickname"] == "A***e"
    assert {"field": "Customer.custom.nickname", "mode": "masked", "count": 2} in rep["extensions"]["redactions"]
    analyst = (await gql(client, LIST, people["analyst"].headers)).json()  # analysts never see PII
    node = analyst["data"]["customers"]["nodes"][0]
    assert node["customFields"]["nickname"] is None and "nickname" not in node["custom"]
    hidden = (await gql(client, LIST, people["analyst"].headers, where={"custom": {"nickname": {"eq": "Annabelle"}}})).json()
    assert hidden["data"]["customers"]["nodes"] == []  # a filter must not reveal what masking hides


async def test_pii_custom_fields_are_hidden_before_their_group_is_in_the_policy(unsynced_api) -> None:
    client, people = unsynced_api
    await create(client, people["lead"].headers, name="Ann", custom={"nickname": "Annabelle"})
    rep = (await gql(client, LIST, people["sales2"].headers)).json()
    assert rep["data"]["customers"]["nodes"][0]["customFields"]["nickname"] is None


async def test_indexed_fields_get_expression_indexes(db, host) -> None:
    conn = connections.get("default")
    names = await ensure_indexes(host.fields, conn)
    assert names == [index_name(host.fields.get("customer", "loyalty_points")), index_name(host.fields.get("customer", "revenue"))]
    await ensure_indexes(host.fields, conn)  # idempotent
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict("SELECT indexname AS name FROM pg_indexes WHERE indexname LIKE 'idx_cf_%'")
    else:
        rows = await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_cf_%'")
    assert {row["name"] for row in rows} >= set(names)
    for name in names:
        await conn.execute_script(f"DROP INDEX {name}")  # the session database stays as migrations made it


async def test_processes_starting_together_create_the_indexes_without_a_clash(db, host) -> None:
    # Each app process runs ensure_indexes at start-up; on PostgreSQL two concurrent
    # CREATE INDEX IF NOT EXISTS of one name used to fail one of the processes' start.
    conn = connections.get("default")
    try:
        for _ in range(5):
            results = await asyncio.gather(*(ensure_indexes(host.fields, conn) for _ in range(4)), return_exceptions=True)
            assert not [r for r in results if isinstance(r, BaseException)], results
            for name in results[0]:
                await conn.execute_script(f"DROP INDEX IF EXISTS {name}")
    finally:
        for field in host.fields.fields:
            await conn.execute_script(f"DROP INDEX IF EXISTS {index_name(field)}")
