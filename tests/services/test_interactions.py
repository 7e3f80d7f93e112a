"""services.interactions: validation, authorization, the effects of logging (last interaction, first response,
audit) and idempotency, called directly as the GraphQL layer and the CLI do."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rapport.auth.actor import Actor, RoleGrant
from rapport.auth.authenticate import actor_for_agent
from rapport.authz.plan import PermissionPlan, plan_for
from rapport.models import AuditEntry, Customer, Department, Interaction, Ticket
from rapport.services.errors import DomainError, ErrorCode
from rapport.services.interaction_input import DURATION_MAX
from rapport.services.interactions import interaction_scope, log_interaction
from tests.support.personas import cast


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


async def plan_of(person) -> PermissionPlan:
    return await plan_for(await actor_for_agent(person.agent.id))


async def customer_in(code: str, name: str = "Acme") -> Customer:
    department = await Department.get(code=code)
    return await Customer.create(name=name, department=department)


async def ticket_of(customer: Customer, number: str = "T-000001") -> Ticket:
    now = datetime.now(UTC)
    return await Ticket.create(
        number=number, subject="Broken", customer=customer, department_id=customer.department_id,
        first_response_due_at=now + timedelta(hours=4), resolution_due_at=now + timedelta(days=2),
    )


def entry(customer: Customer, **fields) -> dict:
    return {"customer": customer.id, "channel": "call", "direction": "inbound", "subject": "Follow-up", **fields}


async def problems(plan, data, settings) -> list[tuple[ErrorCode, tuple[str, ...] | None]]:
    with pytest.raises(DomainError) as caught:
        await log_interaction(plan, data, settings)
    return [(p.code, p.path) for p in caught.value.problems]


async def test_logging_records_the_interaction_and_moves_last_interaction_at(people, settings) -> None:
    customer = await customer_in("sales")
    plan = await plan_of(people["sales"])
    when = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    row = await log_interaction(plan, entry(customer, subject="  Call \n back ", body="  line 1\n  line 2  ",
                                            occurredAt=when, durationSeconds=90, custom={"k": 1}), settings)
    stored = await Interaction.get(id=row.id)
    assert (stored.subject, stored.body, stored.duration_seconds, stored.custom) == ("Call back", "line 1\n  line 2", 90, {"k": 1})
    assert stored.occurred_at == when and stored.agent_id == people["sales"].agent.id
    assert (await Customer.get(id=customer.id)).last_interaction_at == when

    older = await log_interaction(plan, entry(customer, occurredAt=when - timedelta(days=1)), settings)
    assert (await Customer.get(id=customer.id)).last_interaction_at == when, "an older interaction never moves it back"
    assert older.occurred_at < when

    before = datetime.now(UTC)
    await log_interaction(plan, entry(customer), settings)
    latest = (await Customer.get(id=customer.id)).last_interaction_at
    assert latest is not None and latest >= before, "occurredAt defaults to now"


async def test_customer_version_is_not_bumped_by_logging(people, settings) -> None:
    customer = await customer_in("sales")
    await log_interaction(await plan_of(people["sales"]), entry(customer), settings)
    assert (await Customer.get(id=customer.id)).version == customer.version


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"subject": "s" * 301}, ErrorCode.INVALID, ("input", "subject")),
        ({"subject": " \t "}, ErrorCode.REQUIRED, ("input", "subject")),
        ({"body": "b" * 100_001}, ErrorCode.INVALID, ("input", "body")),
        ({"body": "nul \x00 inside"}, ErrorCode.INVALID, ("input", "body")),
        ({"durationSeconds": -1}, ErrorCode.INVALID, ("input", "durationSeconds")),
        ({"durationSeconds": DURATION_MAX + 1}, ErrorCode.INVALID, ("input", "durationSeconds")),
        ({"occurredAt": datetime.now(UTC) + timedelta(hours=2)}, ErrorCode.INVALID, ("input", "occurredAt")),
        ({"occurredAt": datetime(2025, 1, 1, 12, 0)}, ErrorCode.INVALID, ("input", "occurredAt")),
        ({"custom": ["not", "an", "object"]}, ErrorCode.INVALID, ("input", "custom")),
        ({"channel": "pigeon"}, ErrorCode.INVALID, ("input", "channel")),
        ({"direction": None}, ErrorCode.REQUIRED, ("input", "direction")),
    ],
)
async def test_each_validation_rule_names_its_field(people, settings, fields, code, path) -> None:
    customer = await customer_in("sales")
    assert await problems(await plan_of(people["sales"]), entry(customer, **fields), settings) == [(code, path)]
    assert await Interaction.all().count() == 0


async def test_limits_themselves_are_accepted(people, settings) -> None:
    customer = await customer_in("sales")
    plan = await plan_of(people["sales"])
    row = await log_interaction(plan, entry(customer, subject="s" * 300, body="b" * 100_000, durationSeconds=DURATION_MAX,
                                            occurredAt=datetime.now(UTC) + timedelta(minutes=4)), settings)
    assert len(row.subject) == 300 and len(row.body) == 100_000


async def test_all_problems_are_reported_at_once(people, settings) -> None:
    customer = await customer_in("sales")
    found = await problems(await plan_of(people["sales"]), entry(customer, subject="", durationSeconds=-5, custom=3), settings)
    assert {path for _, path in found} == {("input", "subject"), ("input", "durationSeconds"), ("input", "custom")}


async def test_unknown_customer_is_not_found(people, settings) -> None:
    plan = await plan_of(people["sales"])
    assert await problems(plan, {**entry(await customer_in("sales")), "customer": 999_999}, settings) == [
        (ErrorCode.NOT_FOUND, ("input", "customer"))
    ]


async def test_deleted_customer_is_not_found(people, settings) -> None:
    customer = await customer_in("sales")
    await Customer.filter(id=customer.id).update(deleted_at=datetime.now(UTC))
    assert await problems(await plan_of(people["sales"]), entry(customer), settings) == [
        (ErrorCode.NOT_FOUND, ("input", "customer"))
    ]


async def test_ticket_of_another_customer_is_invalid(people, settings) -> None:
    mine, other = await customer_in("sales", "Mine"), await customer_in("sales", "Other")
    ticket = await ticket_of(other)
    plan = await plan_of(people["sales"])
    assert await problems(plan, entry(mine, ticket=ticket.id), settings) == [(ErrorCode.INVALID, ("input", "ticket"))]
    assert await problems(plan, entry(mine, ticket=987_654), settings) == [(ErrorCode.INVALID, ("input", "ticket"))]
    assert await Interaction.all().count() == 0


async def test_sales_agent_cannot_log_on_a_support_customer(people, settings) -> None:
    customer = await customer_in("support")
    assert await problems(await plan_of(people["sales"]), entry(customer), settings) == [
        (ErrorCode.NOT_FOUND, ("input", "customer"))
    ]


async def test_support_agent_reads_sales_customers_but_may_not_log_on_them(people, settings) -> None:
    customer = await customer_in("sales")
    assert await problems(await plan_of(people["support"]), entry(customer), settings) == [
        (ErrorCode.FORBIDDEN, ("input", "customer"))
    ]


async def test_scope_needs_both_the_interaction_rule_and_a_readable_live_customer(people, settings) -> None:
    sales, support = await customer_in("sales", "S"), await customer_in("support", "T")
    mine = await log_interaction(await plan_of(people["sales"]), entry(sales), settings)
    theirs = await log_interaction(await plan_of(people["support"]), entry(support), settings)

    async def visible(person) -> set[int]:
        scope = await interaction_scope(await plan_of(person))
        return set() if scope is None else set(await Interaction.filter(scope).values_list("id", flat=True))

    assert await visible(people["sales"]) == {mine.id}
    assert await visible(people["support"]) == {theirs.id}, "support reads sales customers, not their interactions"
    assert await visible(people["analyst"]) == {mine.id, theirs.id}
    assert await visible(people["security"]) == set()
    await Customer.filter(id=sales.id).update(deleted_at=datetime.now(UTC))
    assert await visible(people["sales"]) == set()


async def test_audit_names_the_fields_given_never_their_values(people, settings) -> None:
    customer = await customer_in("sales")
    plan = await plan_of(people["sales"])
    rows = [await log_interaction(plan, entry(customer, subject=f"secret subject {i}", body="secret body",
                                              idempotencyKey=f"k{i}"), settings, request_id=f"req-{i}") for i in range(2)]
    entries = await AuditEntry.filter(action="interaction.log").order_by("id")
    assert [(e.entity, e.entity_id, e.request_id) for e in entries] == [("interaction", str(r.id), f"req-{i}") for i, r in enumerate(rows)]
    assert entries[0].fields_changed == sorted(["customer", "channel", "direction", "subject", "body"])
    assert entries[0].actor == "user:sales.rep@example.com" and entries[0].data == {"customer": customer.id}
    assert all("secret" not in str(e.data) + str(e.fields_changed) for e in entries)


async def test_same_key_twice_creates_one_interaction(people, settings) -> None:
    customer = await customer_in("sales")
    plan = await plan_of(people["sales"])
    data = entry(customer, idempotencyKey="import-42")  # no occurredAt: the default must not change the input
    first = await log_interaction(plan, data, settings)
    await asyncio.sleep(0.01)
    again = await log_interaction(plan, dict(data), settings)
    assert again.id == first.id
    assert await Interaction.all().count() == 1
    assert await AuditEntry.filter(action="interaction.log").count() == 1


async def test_same_key_with_other_input_is_invalid(people, settings) -> None:
    customer = await customer_in("sales")
    plan = await plan_of(people["sales"])
    await log_interaction(plan, entry(customer, idempotencyKey="k"), settings)
    assert await problems(plan, entry(customer, subject="Something else", idempotencyKey="k"), settings) == [
        (ErrorCode.INVALID, ("input", "idempotencyKey"))
    ]
    # Normalization comes first: the same text typed differently is the same input.
    same = await log_interaction(plan, entry(customer, subject="  Follow-up ", idempotencyKey="k"), settings)
    assert await Interaction.all().count() == 1 and same.subject == "Follow-up"


async def test_keys_belong_to_their_actor(people, settings) -> None:
    customer = await customer_in("sales")
    a = await log_interaction(await plan_of(people["sales"]), entry(customer, idempotencyKey="k"), settings)
    b = await log_interaction(await plan_of(people["sales2"]), entry(customer, idempotencyKey="k"), settings)
    assert a.id != b.id


async def test_twenty_concurrent_identical_calls_create_one_interaction(people, settings) -> None:
    customer = await customer_in("sales")
    plan = await plan_of(people["sales"])
    data = entry(customer, idempotencyKey="burst", occurredAt=datetime(2025, 5, 5, 10, 0, tzinfo=UTC))
    results = await asyncio.gather(*(log_interaction(plan, dict(data), settings) for _ in range(20)))
    assert len({row.id for row in results}) == 1
    assert await Interaction.all().count() == 1
    assert await AuditEntry.filter(action="interaction.log").count() == 1


async def test_outbound_reply_on_a_ticket_stamps_first_response_once(people, settings) -> None:
    customer = await customer_in("sales")
    ticket = await ticket_of(customer)
    plan = await plan_of(people["sales"])
    await log_interaction(plan, entry(customer, ticket=ticket.id, direction="inbound"), settings)
    assert (await Ticket.get(id=ticket.id)).first_responded_at is None, "the customer writing is no response"

    first_at = datetime.now(UTC) - timedelta(minutes=1)
    reply = await log_interaction(plan, entry(customer, ticket=ticket.id, direction="outbound", occurredAt=first_at), settings)
    assert reply.ticket_id == ticket.id
    stamped = (await Ticket.get(id=ticket.id)).first_responded_at
    assert stamped == max(first_at, ticket.created_at)

    await log_interaction(plan, entry(customer, ticket=ticket.id, direction="OUTBOUND"), settings)
    assert (await Ticket.get(id=ticket.id)).first_responded_at == stamped, "only the first reply counts"
    audit = await AuditEntry.filter(action="interaction.log").order_by("id").values_list("data", flat=True)
    assert [d.get("ticketFirstResponse", False) for d in audit] == [False, True, False]


async def test_api_key_logs_without_agent_and_never_stamps_first_response(people, settings) -> None:
    customer = await customer_in("sales")
    ticket = await ticket_of(customer)
    key = Actor(kind="key", name="erp-sync", department="sales", grants=(RoleGrant("agent", "sales"),))
    row = await log_interaction(await plan_for(key), entry(customer, ticket=ticket.id, direction="outbound"), settings)
    assert row.agent_id is None
    assert (await Ticket.get(id=ticket.id)).first_responded_at is None


async def test_a_late_first_reply_is_recorded_as_a_breach(people, settings) -> None:
    customer = await customer_in("sales")
    ticket = await ticket_of(customer)
    await Ticket.filter(id=ticket.id).update(first_response_due_at=datetime.now(UTC) - timedelta(minutes=30))
    await log_interaction(await plan_of(people["sales"]), entry(customer, ticket=ticket.id, direction="outbound"), settings)
    stored = await Ticket.get(id=ticket.id)
    assert stored.first_responded_at is not None and stored.first_response_breached_at == stored.first_response_due_at


async def test_five_minutes_of_clock_skew_are_tolerated_not_more(people, settings) -> None:
    customer = await customer_in("sales")
    plan = await plan_of(people["sales"])
    await log_interaction(plan, entry(customer, occurredAt=datetime.now(UTC) + timedelta(minutes=4, seconds=50)), settings)
    late = entry(customer, occurredAt=datetime.now(UTC) + timedelta(minutes=5, seconds=10))
    assert await problems(plan, late, settings) == [(ErrorCode.INVALID, ("input", "occurredAt"))]
