"""The example operations in schema/operations/ run against the demo data, and cover the whole API.

Each file holds one named operation, a comment saying what a frontend uses it for, and the persona it
runs as (``# As: sales.rep@demo.example.com``). The demo data and the default policy are seeded once
for this module; the examples then run in the order of EXAMPLES (queries first, then mutations in a
sensible order: open a ticket, update it, comment on it, resolve it, rate it), each with the variables
its entry builds from the demo data. An example that builds on another (``after``) runs that one first
if it has not run yet, so any single example can also be run alone (``-k TransitionTicket``).

A root field of the live schema without an example, or an example file without an entry here, fails.
Subscriptions (the ``...Live`` examples) are run over a WebSocket by ``test_operations_live.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from tortoise import connections

from rapport.authz.store import seed_default_policy
from rapport.graphql.core.ids import to_global_id
from rapport.graphql.schema import build_schema
from rapport.models import (
    Agent,
    Customer,
    CustomerSegment,
    Department,
    Interaction,
    OutboxDelivery,
    OutboxEvent,
    Ticket,
    TicketStatus,
)
from rapport.services.demo_data import seed_demo
from rapport.services.demo_vocabulary import PERSONAS
from tests.support.graphql import bearer, gql

OPERATIONS = Path(__file__).resolve().parents[2] / "schema" / "operations"
AS_LINE = re.compile(r"^# As: (\S+)\s*$", re.MULTILINE)
DEMO_PERSONAS = {email for email, *_ in PERSONAS}
UNFINISHED = [TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING]


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


# ---------------------------------------------------------------- the demo, and what the examples ran


@dataclass
class Demo:
    """Rows of the demo data the examples use (global ids), and the results of the examples run so far."""

    now: datetime
    agents: dict[str, str]  # persona email -> Agent id
    sales_colleague: str  # an active sales agent who is not a persona
    rep_customer: str  # owned by sales.rep, with interactions and unfinished tickets
    rep_customers: list[str]  # other customers owned by sales.rep
    rep_customers_version: int  # the version of rep_customers[0], as a form would have read it
    sales_duplicates: tuple[str, str]  # two live sales customers with the same name: survivor, duplicate
    sales_churned: str  # a churned sales customer nobody else uses, to delete
    sales_ticket_unassigned: str  # a NEW sales ticket without assignee
    sales_ticket: str  # a ticket of rep_customer
    interaction: str  # an interaction of rep_customer
    support_customer: str  # owned by support.rep
    support_ticket_number: str  # assigned to support.rep, unfinished, with a service record
    parked_delivery: str  # an event delivery the relay gave up on
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # example name -> its `data`

    def result(self, name: str) -> dict[str, Any]:
        """The root field's value in the data of example ``name`` (which must have run)."""
        (value,) = self.results[name].values()
        return value


@pytest.fixture(scope="module")
async def demo(orm: None) -> Demo:
    """The demo data and the default policy, seeded once for this module (on emptied tables, as ``db`` does)."""
    from rapport.authz.enforcer import set_engine
    from rapport.authz.sql import forget_departments
    from tests.support.database import empty_all_tables

    await empty_all_tables(connections.get("default"))
    set_engine(None)
    forget_departments()
    await seed_demo()
    await seed_default_policy()

    agents = {agent.email: agent for agent in await Agent.filter(email__in=sorted(DEMO_PERSONAS))}
    rep, support_rep = agents["sales.rep@demo.example.com"], agents["support.rep@demo.example.com"]
    sales = await Department.get(code="sales")
    colleague = await Agent.filter(department_id=sales.id, active=True).exclude(email__in=sorted(DEMO_PERSONAS)).order_by("id").first()

    own = await Customer.filter(owner_id=rep.id, deleted_at=None).order_by("id")
    busy = [c for c in own if await Ticket.filter(customer_id=c.id, status__in=UNFINISHED).exists()
            and await Interaction.filter(customer_id=c.id).exists()]
    rep_customer = busy[0]
    others = [c for c in own if c.id != rep_customer.id]

    live_sales = await Customer.filter(department_id=sales.id, deleted_at=None).exclude(owner_id=rep.id).order_by("id")
    by_name: dict[str, list[Customer]] = {}
    for customer in live_sales:
        by_name.setdefault(customer.name, []).append(customer)
    survivor, duplicate = next(rows for rows in by_name.values() if len(rows) > 1)[:2]
    merging = {survivor.id, duplicate.id}
    churned = next(c for c in live_sales if c.segment == CustomerSegment.CHURNED and c.id not in merging)

    unassigned = await Ticket.filter(department_id=sales.id, status=TicketStatus.NEW, assignee_id=None).order_by("id").first()
    ticket = await Ticket.filter(customer_id=rep_customer.id).order_by("id").first()
    interaction = await Interaction.filter(customer_id=rep_customer.id).order_by("-occurred_at").first()
    support_customer = await Customer.filter(owner_id=support_rep.id, deleted_at=None).order_by("id").first()
    support_ticket = await Ticket.filter(assignee_id=support_rep.id, status__in=[TicketStatus.OPEN, TicketStatus.PENDING]).order_by("id").first()

    # The demo has no integration that failed: one parked delivery, as a receiver down for hours leaves it.
    event = await OutboxEvent.create(topic="ticket.opened", entity="ticket", entity_id=str(ticket.id),
                                     payload={"id": ticket.id}, available_at=datetime.now(UTC))
    parked = await OutboxDelivery.create(event=event, consumer="rapport-webhooks", attempts=8, parked_at=datetime.now(UTC),
                                         last_error="HTTP 503 from https://hooks.example.com/rapport")

    assert all(row is not None for row in (colleague, unassigned, ticket, interaction, support_customer, support_ticket)), (
        "the demo data no longer has the rows the examples need: adjust the demo fixture"
    )
    return Demo(
        now=datetime.now(UTC),
        agents={email: gid("Agent", agent.id) for email, agent in agents.items()},
        sales_colleague=colleague.email,
        rep_customer=gid("Customer", rep_customer.id),
        rep_customers=[gid("Customer", c.id) for c in others],
        rep_customers_version=others[0].version,
        sales_duplicates=(gid("Customer", survivor.id), gid("Customer", duplicate.id)),
        sales_churned=gid("Customer", churned.id),
        sales_ticket_unassigned=gid("Ticket", unassigned.id),
        sales_ticket=gid("Ticket", ticket.id),
        interaction=gid("Interaction", interaction.id),
        support_customer=gid("Customer", support_customer.id),
        support_ticket_number=support_ticket.number,
        parked_delivery=gid("EventDelivery", parked.id),
    )


# ---------------------------------------------------------------- the table: one entry per operation file


@dataclass(frozen=True)
class Example:
    variables: Callable[[Demo], dict[str, Any]]
    after: tuple[str, ...] = ()  # examples whose results this one builds on


NEW_RULE = {"subject": "role:agent", "department": "support", "resource": "ticket", "action": "manage",
            "scope": "dept", "effect": "ALLOW"}

EXAMPLES: dict[str, Example] = {
    # -- queries
    "Viewer": Example(lambda d: {"department": "sales"}),
    "Departments": Example(lambda d: {}),
    "AgentPicker": Example(lambda d: {"department": "sales", "first": 50}),
    "NodeById": Example(lambda d: {"id": d.rep_customer}),
    "NodesByIds": Example(lambda d: {"ids": [
        d.rep_customer, d.sales_ticket, d.interaction, d.agents["sales.rep@demo.example.com"], d.rep_customers[0],
    ]}),
    "CustomerPage": Example(lambda d: {"where": {"segment": ["EXISTING"], "tier": ["HIGH", "ORDINARY"], "department": ["sales"]}}),
    "CustomerDetail": Example(lambda d: {"id": d.rep_customer}),
    "InteractionPage": Example(lambda d: {"where": {
        "agent": {"eq": d.agents["sales.rep@demo.example.com"]},
        "channel": ["CALL", "MEETING", "VISIT"],
        "occurredAt": {"gte": (d.now - timedelta(days=90)).isoformat()},
    }}),
    "TicketPage": Example(lambda d: {"first": 25, "where": {"status": ["NEW", "OPEN", "PENDING"], "department": ["support"]}}),
    "TicketDetail": Example(lambda d: {"number": d.support_ticket_number}),
    "AccessRules": Example(lambda d: {"subject": "role:agent"}),
    "RoleGrants": Example(lambda d: {"department": "sales"}),
    "ExplainAccess": Example(lambda d: {
        "subject": "user:sales.rep@demo.example.com", "resource": "customer.phone", "action": "read", "department": "sales",
    }),
    "PolicyChanges": Example(lambda d: {"first": 20}),
    "ReportsServiceDashboard": Example(lambda d: {"period": {"from": (d.now - timedelta(days=90)).isoformat(), "to": d.now.isoformat()}}),
    "ParkedDeliveries": Example(lambda d: {"consumer": "rapport-webhooks"}),
    "ReportsCustomerHealth": Example(lambda d: {"period": {"from": (d.now - timedelta(days=180)).isoformat(), "to": d.now.isoformat()}}),
    "DepartmentReport": Example(lambda d: {"period": {"from": (d.now - timedelta(days=90)).isoformat(), "to": d.now.isoformat()}}),
    # -- customers
    "CreateCustomer": Example(lambda d: {"input": {
        "name": "  王小明 ", "email": "Wang.Xiaoming@Example.com", "phone": "+86 138 0013 8000",
        "company": "星河科技有限公司", "title": "采购经理",
        "address": {"line1": "人民路88号", "city": "上海", "region": "上海市", "postalCode": "200001", "country": "CN"},
        "tags": ["Trade-Fair", "trade-fair", "Newsletter"],
    }}),
    "UpdateCustomer": Example(lambda d: {
        "id": d.rep_customers[0],
        "input": {"title": "Head of Procurement", "tags": ["renewal", "newsletter"], "segment": "EXISTING", "tier": "HIGH"},
        "expectedVersion": d.rep_customers_version,
    }),
    "LogInteraction": Example(lambda d: {"input": {
        "customer": d.rep_customer, "channel": "CALL", "direction": "OUTBOUND", "subject": "Renewal call",
        "body": "Walked through the new price list; they will confirm the order by Friday.",
        "occurredAt": (d.now - timedelta(minutes=30)).isoformat(), "durationSeconds": 900,
        "idempotencyKey": "3f1c2a9e-7c4b-4e0a-9d55-2b8f1e6a0c71",
    }}),
    "MergeCustomers": Example(lambda d: {"survivor": d.sales_duplicates[0], "duplicates": [d.sales_duplicates[1]]}),
    "DeleteCustomer": Example(lambda d: {"id": d.sales_churned}),
    # -- tickets: open one, edit it, answer, resolve it, rate it (a chain: each step needs the one before, and
    #    sends the version the last step returned); a manager assigns another
    "OpenTicket": Example(lambda d: {"input": {
        "customer": d.support_customer, "subject": "Invoice shows the wrong VAT number",
        "description": "The March invoice carries last year's VAT number; the customer's accounts need a corrected copy.",
        "priority": "HIGH", "category": "billing", "tags": ["Invoice"],
        "assignee": d.agents["support.rep@demo.example.com"],
        "idempotencyKey": "9b6e4d1f-2a3c-4f8e-b1d7-5c0a8e9f3b24",
    }}),
    "UpdateTicket": Example(
        lambda d: {"id": d.result("OpenTicket")["ticket"]["id"],
                   "input": {"priority": "URGENT", "tags": ["invoice", "month-end"]},
                   "expectedVersion": d.result("OpenTicket")["ticket"]["version"]},
        after=("OpenTicket",),
    ),
    "AddTicketActivity": Example(
        lambda d: {"id": d.result("OpenTicket")["ticket"]["id"], "kind": "COMMENT",
                   "note": "Called the customer: a corrected invoice goes out today.", "minutesSpent": 10},
        after=("UpdateTicket",),
    ),
    "TransitionTicket": Example(
        lambda d: {"id": d.result("OpenTicket")["ticket"]["id"], "to": "RESOLVED",
                   "note": "Corrected invoice sent; the customer confirmed receipt.",
                   "expectedVersion": d.result("AddTicketActivity")["ticket"]["version"]},
        after=("AddTicketActivity",),
    ),
    "RateTicket": Example(
        lambda d: {"id": d.result("TransitionTicket")["ticket"]["id"], "satisfaction": 5, "comment": "Quick and friendly."},
        after=("TransitionTicket",),
    ),
    "AssignTicket": Example(lambda d: {"id": d.sales_ticket_unassigned, "assignee": d.agents["sales.rep@demo.example.com"]}),
    # -- integrations
    "RetryDelivery": Example(lambda d: {"id": d.parked_delivery}),
    # -- access policy: add a rule and remove it again; grant a role and revoke it again
    "AddAccessRule": Example(lambda d: {"input": NEW_RULE}),
    "RemoveAccessRule": Example(lambda d: {"input": NEW_RULE}, after=("AddAccessRule",)),
    "GrantRole": Example(lambda d: {"input": {"subject": f"user:{d.sales_colleague}", "role": "manager", "department": "sales"}}),
    "RevokeRole": Example(
        lambda d: {"input": {"subject": f"user:{d.sales_colleague}", "role": "manager", "department": "sales"}},
        after=("GrantRole",),
    ),
}


# ---------------------------------------------------------------- reading the files


@dataclass(frozen=True)
class OperationFile:
    name: str
    text: str
    document: DocumentNode
    persona: str | None

    @property
    def operation(self) -> OperationDefinitionNode:
        return next(d for d in self.document.definitions if isinstance(d, OperationDefinitionNode))


@cache
def _live_schema() -> GraphQLSchema:
    return build_schema()._schema


def _files() -> list[Path]:
    return sorted(OPERATIONS.glob("*.graphql"))


def _is_live(path: Path) -> bool:
    """A subscription: run over a WebSocket by tests/graphql/test_operations_live.py, not here."""
    return _read(path.stem).operation.operation == OperationType.SUBSCRIPTION


def _read(name: str) -> OperationFile:
    text = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    match = AS_LINE.search(text)
    return OperationFile(name, text, parse(text), match.group(1) if match else None)


def _root_fields(op: OperationFile) -> set[str]:
    """Names of the root fields the operation selects (through fragments too)."""
    fragments = {d.name.value: d for d in op.document.definitions if not isinstance(d, OperationDefinitionNode)}
    names: set[str] = set()

    def walk(selections) -> None:
        for selection in selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set.selections)
            elif isinstance(selection, FragmentSpreadNode):
                walk(fragments[selection.name.value].selection_set.selections)

    walk(op.operation.selection_set.selections)
    return {name for name in names if not name.startswith("__")}


# ---------------------------------------------------------------- running them


def _assert_has_data(name: str, data: dict[str, Any]) -> None:
    """Every root field answered something: no null, no empty list or page."""
    for root, value in data.items():
        where = f"{name}: {root}"
        assert value is not None, f"{where} is null"
        if isinstance(value, list):
            assert value and all(item is not None for item in value), f"{where} is empty or has nulls: {value}"
        elif isinstance(value, dict) and "totalCount" in value:
            assert value["totalCount"] > 0, f"{where} matched nothing"
            rows = value.get("nodes", value.get("edges"))
            assert rows is None or rows, f"{where}: totalCount {value['totalCount']} but an empty page"


def _assert_succeeded(name: str, data: dict[str, Any]) -> None:
    """Every payload has an empty errors list and carries its result."""
    for root, payload in data.items():
        assert payload["errors"] == [], f"{name}: {root} failed: {payload['errors']}"
        results = {key: value for key, value in payload.items() if key != "errors"}
        assert any(value not in (None, []) for value in results.values()), f"{name}: {root} returned nothing: {payload}"


async def _run(name: str, demo: Demo, http, settings) -> dict[str, Any]:
    """Run example ``name`` (after the examples it builds on), check it, and keep its data in demo.results."""
    if name in demo.results:
        return demo.results[name]
    example = EXAMPLES[name]
    for earlier in example.after:
        await _run(earlier, demo, http, settings)
    op = _read(name)
    agent = await Agent.get(email=op.persona)
    response = await gql(http, op.text, bearer(agent, settings), **example.variables(demo))
    assert response.status_code == 200, f"{name}: HTTP {response.status_code}: {response.text}"
    body = response.json()
    assert "errors" not in body, f"{name} as {op.persona}: {body['errors']}"
    data = body["data"]
    if op.operation.operation == OperationType.MUTATION:
        _assert_succeeded(name, data)
    else:
        _assert_has_data(name, data)
    demo.results[name] = data
    return data


@pytest.mark.parametrize("name", list(EXAMPLES))
async def test_example_runs_against_the_demo_data(demo: Demo, http, settings, name: str) -> None:
    await _run(name, demo, http, settings)


async def test_the_examples_did_what_they_say(demo: Demo, http, settings) -> None:
    """A few spot checks that the examples' variables mean what the comments promise."""
    for name in EXAMPLES:
        await _run(name, demo, http, settings)
    viewer = demo.result("Viewer")
    assert viewer["roles"] == ["agent@sales"] and viewer["canCreateCustomer"] and not viewer["canDeleteCustomer"]
    created = demo.result("CreateCustomer")["customer"]
    assert (created["name"], created["email"], created["phone"]) == ("王小明", "wang.xiaoming@example.com", "+8613800138000")
    assert created["tags"] == ["trade-fair", "newsletter"] and created["owner"]["id"] == demo.agents["sales.rep@demo.example.com"]
    rated = demo.result("RateTicket")["ticket"]
    assert (rated["status"], rated["satisfaction"]) == ("RESOLVED", 5)
    assert demo.result("MergeCustomers")["merged"] == [demo.sales_duplicates[1]]
    assert demo.result("AssignTicket")["ticket"]["assignee"]["id"] == demo.agents["sales.rep@demo.example.com"]
    for dashboard in ("ReportsServiceDashboard", "ReportsCustomerHealth"):
        reports = demo.result(dashboard)
        assert all(report["rows"] for report in reports.values()), reports
    assert demo.result("RevokeRole")["grant"] == {"subject": f"user:{demo.sales_colleague}", "role": "manager", "department": "sales"}


# ---------------------------------------------------------------- coverage and form


def test_every_operation_file_has_an_entry_and_every_entry_a_file() -> None:
    files = {path.stem for path in _files() if not _is_live(path)}
    assert files - set(EXAMPLES) == set(), "operation files without variables in EXAMPLES (tests/graphql/test_operations.py)"
    assert set(EXAMPLES) - files == set(), "EXAMPLES entries without a file in schema/operations/"


def test_every_root_field_has_an_example() -> None:
    schema = _live_schema()
    used: dict[OperationType, set[str]] = {kind: set() for kind in OperationType}
    for path in _files():
        op = _read(path.stem)
        used.setdefault(op.operation.operation, set()).update(_root_fields(op))
    missing = [
        f"{root.name}.{field_name}"
        for kind, root in ((OperationType.QUERY, schema.query_type), (OperationType.MUTATION, schema.mutation_type),
                           (OperationType.SUBSCRIPTION, schema.subscription_type))
        if root is not None
        for field_name in root.fields
        if field_name not in used[kind]
    ]
    assert missing == [], f"root fields without an example in schema/operations/ (add one, and its variables to EXAMPLES): {missing}"


@pytest.mark.parametrize("path", _files(), ids=lambda path: path.stem)
def test_operation_file_is_well_formed(path: Path) -> None:
    op = _read(path.stem)
    operations = [d for d in op.document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1, f"{path.name}: one operation per file"
    assert op.operation.name is not None and op.operation.name.value == path.stem, f"{path.name}: name the operation {path.stem}"
    assert op.persona in DEMO_PERSONAS, f"{path.name}: needs a '# As: <persona>' line naming one of {sorted(DEMO_PERSONAS)}"
    lines = op.text.splitlines()
    assert lines[0].startswith("# ") and not AS_LINE.match(lines[0]), f"{path.name}: start with a comment saying what it is for"
    errors = validate(_live_schema(), op.document)
    assert errors == [], f"{path.name}: {[e.message for e in errors]}"
