"""Hostile input gets a typed client error, never INTERNAL_ERROR: NUL bytes and over-long texts in
filters, huge searches, global ids past the database's integer range, deeply nested custom JSON; and
what such input leaves in the log is bounded in size and in the time to write it."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from strawberry.relay import GlobalID

from rapport.custom_fields.json_bounds import MAX_DEPTH
from rapport.graphql.core.filters import MAX_SEARCH_LENGTH
from rapport.log import configure_logging
from rapport.models import Customer, Department, Interaction, Ticket
from tests.support.graphql import gql
from tests.support.personas import cast

CUSTOMERS = "query($w: CustomerFilter){ customers(where: $w){ totalCount } }"
TICKETS = "query($w: TicketFilter){ tickets(where: $w){ totalCount } }"
INTERACTIONS = "query($w: InteractionFilter){ interactions(where: $w){ totalCount } }"
LISTS = {"customers": CUSTOMERS, "tickets": TICKETS, "interactions": INTERACTIONS}
NODE = "query($id: ID!){ node(id: $id){ id } }"
UPDATE = """mutation($id: ID!, $input: UpdateCustomerInput!){
  updateCustomer(id: $id, input: $input){ customer { id } errors { code path } } }"""
CREATE = """mutation($input: CreateCustomerInput!){
  createCustomer(input: $input){ customer { id custom } errors { code path } } }"""
OPEN_TICKET = """mutation($input: OpenTicketInput!){ openTicket(input: $input){ ticket { id } errors { code path } } }"""


def nested(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def gid(type_name: str, key: int | str) -> str:
    return str(GlobalID(type_name, str(key)))


@pytest.fixture
async def people(db, settings):
    """The personas, and a customer, ticket and interaction each can see (so every filter reaches SQL)."""
    people = await cast(settings)
    sales = await Department.get(code="sales")
    customer = await Customer.create(name="Ann Lee", email="ann@example.com", phone="+14155552671", company="Acme",
                                     department=sales, owner=people["sales"].agent)
    now = datetime.now(UTC)
    ticket = await Ticket.create(number="T-000001", subject="Printer", description="jammed", customer=customer,
                                 department=sales, category="hardware", first_response_due_at=now + timedelta(hours=1),
                                 resolution_due_at=now + timedelta(days=1))
    await Interaction.create(customer=customer, ticket=ticket, channel="email", direction="inbound", subject="Hello",
                             body="printer jammed", occurred_at=now)
    return people


def client_errors(body: dict) -> list[str]:
    """The codes of the response's GraphQL errors (none when the request was answered)."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


async def ask(http, people, query: str, **variables) -> dict:
    response = await gql(http, query, people["admin"].headers, **variables)
    assert response.status_code == 200, response.text[:500]
    return response.json()


# --- texts in filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lst", "where", "argument"),
    [
        ("customers", {"name": {"eq": "Ann\x00"}}, "where.name.eq"),
        ("customers", {"email": {"startsWith": "ann\x00"}}, "where.email.startsWith"),
        ("customers", {"company": {"in": ["Acme", "A\x00"]}}, "where.company.in"),
        ("customers", {"search": "ann\x00"}, "where.search"),
        ("customers", {"custom": {"region": {"eq": "north\x00"}}}, "where.custom"),
        ("tickets", {"category": {"contains": "hard\x00"}}, "where.category.contains"),
        ("tickets", {"search": "\x00"}, "where.search"),
        ("interactions", {"search": "printer\x00"}, "where.search"),
    ],
)
async def test_a_nul_byte_in_a_filter_text_is_bad_user_input(http, people, lst, where, argument) -> None:
    body = await ask(http, people, LISTS[lst], w=where)
    assert client_errors(body) == ["BAD_USER_INPUT"], body
    assert argument in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("lst", "field", "operator", "column_length"),
    [
        ("customers", "name", "eq", 200),
        ("customers", "phone", "in", 32),
        ("customers", "email", "ne", 320),
        ("customers", "company", "contains", 200),
        ("tickets", "number", "eq", 32),
        ("tickets", "category", "startsWith", 100),
    ],
)
async def test_a_filter_text_is_bounded_by_its_column(http, people, lst, field, operator, column_length) -> None:
    def where(length: int) -> dict:
        text = "x" * length
        return {field: {operator: [text] if operator == "in" else text}}

    fits = await ask(http, people, LISTS[lst], w=where(column_length))
    assert "errors" not in fits, fits
    too_long = await ask(http, people, LISTS[lst], w=where(column_length + 1))
    assert client_errors(too_long) == ["BAD_USER_INPUT"], too_long
    assert f"at most {column_length} characters" in too_long["errors"][0]["message"]


@pytest.mark.parametrize("lst", ["customers", "tickets", "interactions"])
async def test_a_huge_search_is_bad_user_input(http, people, lst) -> None:
    huge = await ask(http, people, LISTS[lst], w={"search": "%_" * 30_000})
    assert client_errors(huge) == ["BAD_USER_INPUT"], str(huge)[:500]
    assert f"where.search: at most {MAX_SEARCH_LENGTH} characters" in huge["errors"][0]["message"]
    longest = await ask(http, people, LISTS[lst], w={"search": "e" * MAX_SEARCH_LENGTH})
    assert longest["data"][lst]["totalCount"] == 0


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=40), st.text(min_size=190, max_size=400)),
       operator=st.sampled_from(["eq", "ne", "contains", "startsWith", "in"]),
       field=st.sampled_from(["name", "email", "phone", "company", "search"]))
async def test_no_filter_text_is_an_internal_error(http, people, text, operator, field) -> None:
    where = {"search": text} if field == "search" else {field: {operator: [text] if operator == "in" else text}}
    body = await ask(http, people, CUSTOMERS, w=where)
    assert client_errors(body) in ([], ["BAD_USER_INPUT"]), body


# --- global ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "node_id",
    [gid("Customer", "99999999999999999999999"), gid("Customer", 2**31), gid("Ticket", 2**63),
     gid("Interaction", 2**63), gid("Agent", "²"), gid("Customer", 0)],
)
async def test_node_with_an_out_of_range_id_is_null(http, people, node_id) -> None:
    body = await ask(http, people, NODE, id=node_id)
    assert body == {"data": {"node": None}}


async def test_out_of_range_ids_in_filters_are_bad_user_input(http, people) -> None:
    for lst, where, argument in [
        ("customers", {"id": {"eq": gid("Customer", "99999999999999999999999")}}, "where.id.eq"),
        ("customers", {"owner": {"in": [gid("Agent", 2**31)]}}, "where.owner.in"),
        ("tickets", {"customer": {"eq": gid("Customer", 2**40)}}, "where.customer.eq"),
        ("interactions", {"ticket": {"in": [gid("Ticket", 2**63)]}}, "where.ticket.in"),
    ]:
        body = await ask(http, people, LISTS[lst], w=where)
        assert client_errors(body) == ["BAD_USER_INPUT"], body
        assert argument in body["errors"][0]["message"]


async def test_out_of_range_ids_in_mutations_are_invalid_with_their_path(http, people) -> None:
    update = await ask(http, people, UPDATE, id=gid("Customer", "99999999999999999999999"), input={"name": "B"})
    assert update["data"]["updateCustomer"]["errors"] == [{"code": "INVALID", "path": ["id"]}]
    opened = await ask(http, people, OPEN_TICKET, input={"customer": gid("Customer", 2**31), "subject": "x"})
    assert opened["data"]["openTicket"]["errors"] == [{"code": "INVALID", "path": ["input", "customer"]}]


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.integers(min_value=2**31 - 2, max_value=2**31 + 2)),
       type_name=st.sampled_from(["Customer", "Ticket", "Interaction", "Agent", "Department"]))
async def test_any_integer_key_in_node_answers_without_error(http, people, key, type_name) -> None:
    body = await ask(http, people, NODE, id=gid(type_name, key))
    assert "errors" not in body, body


# --- custom JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "custom",
    [
        {"region": {"eq": nested(300)}},
        {"region": {"in": [nested(300)]}},
        {"region": {"eq": {"a": 1}}},
        {"notes": {"contains": "x" * 20_000}},
        nested(300),
    ],
)
async def test_hostile_custom_filters_are_bad_user_input(http, people, custom) -> None:
    body = await ask(http, people, CUSTOMERS, w={"custom": custom})
    assert client_errors(body) == ["BAD_USER_INPUT"], str(body)[:500]
    assert "where.custom" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "custom",
    [{"notes": nested(300)}, {"notes": nested(MAX_DEPTH + 1)}, {"notes": "a\x00b"}, {"notes": "x" * 20_000},
     {"notes": ["x"] * 5000}],
)
async def test_hostile_custom_values_in_mutations_are_invalid_with_their_path(http, people, custom) -> None:
    body = await ask(http, people, CREATE, input={"name": "Bo", "department": "sales", "custom": custom})
    assert body["data"]["createCustomer"] == {"customer": None, "errors": [{"code": "INVALID", "path": ["input", "custom"]}]}
    assert await Customer.filter(name="Bo").count() == 0


async def test_custom_values_within_the_bounds_are_stored(http, people) -> None:
    custom = {"notes": nested(MAX_DEPTH - 1)}
    body = await ask(http, people, CREATE, input={"name": "Bo", "department": "sales", "custom": custom})
    assert body["data"]["createCustomer"]["errors"] == []
    assert body["data"]["createCustomer"]["customer"]["custom"] == custom


# --- the log --------------------------------------------------------------------------------------------


@pytest.fixture
def restore_logging():
    before = structlog.get_config()
    yield
    structlog.configure(**before)


@pytest.mark.parametrize("env", ["development", "production"])
def test_an_unexpected_error_with_a_hostile_value_logs_quickly_and_briefly(settings, restore_logging, env) -> None:
    """The resolver's locals hold a value nested 300 levels and its exception carries 100,000 characters:
    the log line stays small, and writing it takes no time worth mentioning (rich's renderer with locals
    took from 19 s to minutes on such a value)."""
    configure_logging(settings.model_copy(update={"env": env}))
    out = io.StringIO()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(out))

    def resolver(where: object) -> None:
        raise ValueError(f"bad value {'x' * 100_000}")

    try:
        resolver(nested(300))
    except ValueError as exc:
        started = time.perf_counter()
        structlog.get_logger("rapport.graphql").error("unexpected error in resolver", path=["customers"],
                                                      value=nested(300), exc_info=exc)
        elapsed = time.perf_counter() - started
    logged = out.getvalue()
    assert elapsed < 1.0
    assert len(logged) < 25_000
    assert "resolver" in logged and "ValueError" in logged and "characters cut" in logged


# --- texts in lookup arguments and policy inputs (found by tests/graphql/test_schemathesis.py) ----------


@pytest.mark.parametrize(
    ("query", "variables", "argument"),
    [
        ("query($n: String){ ticket(number: $n){ id } }", {"n": "T-1\x00"}, "number"),
        ("query($n: String){ ticket(number: $n){ id } }", {"n": "T" * 33}, "number"),
        ("query($d: String){ agents(department: $d){ id } }", {"d": "s" * 65}, "department"),
        ("query($c: String){ parkedDeliveries(consumer: $c){ id } }", {"c": "c\x00"}, "consumer"),
        ("query($s: String){ accessRules(subject: $s){ line } }", {"s": "role:" + "a" * 300}, "subject"),
        ("query($d: String){ roleGrants(department: $d){ role } }", {"d": "sales\x00"}, "department"),
    ],
)
async def test_hostile_lookup_arguments_are_bad_user_input(http, people, query, variables, argument) -> None:
    body = await ask(http, people, query, **variables)
    assert client_errors(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["message"].startswith(f"{argument}: ")


ADD_RULE = """mutation($input: AccessRuleInput!){ addAccessRule(input: $input){ errors { code path } } }"""
GRANT = """mutation($input: RoleGrantInput!){ grantRole(input: $input){ errors { code path } } }"""


@pytest.mark.parametrize(
    ("mutation", "name", "input", "path"),
    [
        (ADD_RULE, "addAccessRule", {"subject": "role:" + "a" * 300, "department": "sales", "resource": "customer",
                                     "action": "read"}, ["input", "subject"]),
        (ADD_RULE, "addAccessRule", {"subject": "user:a\x00@b.c", "department": "sales", "resource": "customer",
                                     "action": "read"}, ["input", "subject"]),
        (GRANT, "grantRole", {"subject": "user:x@example.com", "role": "agent", "department": "d" * 65},
         ["input", "department"]),
        (GRANT, "grantRole", {"subject": "user:x@example.com", "role": "a" * 256, "department": "sales"},
         ["input", "role"]),
    ],
)
async def test_hostile_policy_inputs_are_invalid_with_their_path(http, people, mutation, name, input, path) -> None:
    response = await gql(http, mutation, people["security"].headers, input=input)
    body = response.json()
    assert body["data"][name]["errors"] == [{"code": "INVALID", "path": path}], body


def test_ids_know_which_tables_have_64_bit_keys() -> None:
    """The id parser's range follows each table's key column (IntField: 32-bit on PostgreSQL)."""
    from tortoise.fields import BigIntField

    from rapport import models
    from rapport.graphql.core.ids import BIG_KEYS

    tables = {"Customer": models.Customer, "Agent": models.Agent, "Department": models.Department,
              "Interaction": models.Interaction, "Ticket": models.Ticket, "TicketActivity": models.TicketActivity,
              "PolicyChange": models.PolicyChange, "EventDelivery": models.OutboxDelivery, "AccessRule": models.PolicyRule}
    assert BIG_KEYS == {name for name, model in tables.items() if isinstance(model._meta.pk, BigIntField)}
