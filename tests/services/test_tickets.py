"""Ticket operations: the workflow table, SLA planning and state, first response, rating, assignment,
the service record and the audit trail, called as the service layer (no HTTP)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from rapport.auth.identity_changes import set_agent_active
from rapport.auth.authenticate import actor_for_agent
from rapport.authz.plan import PermissionPlan, plan_for
from rapport.models import (
    Agent, AuditEntry, Customer, Department, Ticket, TicketActivity, TicketActivityKind, TicketPriority, TicketStatus,
)
from rapport.services import tickets as service
from rapport.services.errors import DomainError, ErrorCode
from rapport.services.ticket_workflow import can_transition
from tests.support.personas import cast

S = TicketStatus
ALLOWED_PAIRS = {  # the API contract's table, written out
    (S.NEW, S.OPEN), (S.NEW, S.PENDING), (S.NEW, S.RESOLVED), (S.NEW, S.CLOSED),
    (S.OPEN, S.PENDING), (S.OPEN, S.RESOLVED), (S.OPEN, S.CLOSED),
    (S.PENDING, S.OPEN), (S.PENDING, S.RESOLVED), (S.PENDING, S.CLOSED),
    (S.RESOLVED, S.CLOSED), (S.RESOLVED, S.OPEN),
    (S.CLOSED, S.OPEN),
}
ALL_PAIRS = list(itertools.product(TicketStatus, TicketStatus))


@pytest.fixture
async def world(db, settings):
    people = await cast(settings)
    sales, support = await Department.get(code="sales"), await Department.get(code="support")
    customers = {
        "sales": await Customer.create(name="Ann", department=sales),
        "support": await Customer.create(name="Bob", department=support),
    }
    return people, customers


async def plan_of(agent: Agent) -> PermissionPlan:
    actor = await actor_for_agent(agent.id)
    assert actor is not None
    return await plan_for(actor)


async def open_one(plan: PermissionPlan, customer: Customer, settings, **fields) -> Ticket:
    return await service.open_ticket(plan, {"customer": customer.id, "subject": "Printer broken", **fields}, settings)


async def expect(code: ErrorCode, change) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await change
    assert [p.code for p in raised.value.problems] == [code], raised.value.problems
    return raised.value


# ---------------------------------------------------------------- the workflow table


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{a.name}->{b.name}" for a, b in ALL_PAIRS])
async def test_every_transition(world, settings, source, target) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings)
    await Ticket.filter(id=ticket.id).update(status=source, resolved_at=datetime.now(UTC) if source == S.RESOLVED else None)
    before = await Ticket.get(id=ticket.id)
    if (source, target) not in ALLOWED_PAIRS:
        assert not can_transition(source, target)
        error = await expect(ErrorCode.INVALID_TRANSITION, service.transition(plan, ticket.id, target))
        assert source.name in error.problems[0].message and target.name in error.problems[0].message
        after = await Ticket.get(id=ticket.id)
        assert (after.status, after.version) == (source, before.version)
        assert not await TicketActivity.filter(ticket_id=ticket.id, kind=TicketActivityKind.STATUS_CHANGED).exists()
        return
    moved = await service.transition(plan, ticket.id, target, note="  because  ")
    assert moved.status == target and moved.version == before.version + 1
    assert (moved.resolved_at is not None) == (target == S.RESOLVED or (target == S.CLOSED and source == S.RESOLVED))
    assert (moved.closed_at is not None) == (target == S.CLOSED)
    step = await TicketActivity.get(ticket_id=ticket.id, kind=TicketActivityKind.STATUS_CHANGED)
    assert (step.from_status, step.to_status, step.note, step.actor_id) == (source, target, "because", people["sales"].agent.id)
    entry = await AuditEntry.get(action="ticket.transition")
    assert entry.data == {"from": source.value, "to": target.value} and "status" in entry.fields_changed


async def test_reopen_clears_resolution_and_close_stamps(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings)
    resolved = await service.transition(plan, ticket.id, S.RESOLVED)
    assert resolved.resolved_at is not None
    closed = await service.transition(plan, ticket.id, S.CLOSED)
    assert closed.resolved_at == resolved.resolved_at and closed.closed_at is not None
    reopened = await service.transition(plan, ticket.id, S.OPEN)
    assert reopened.resolved_at is None and reopened.closed_at is None and reopened.version == 4


async def test_stale_expected_version_conflicts_and_changes_nothing(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings)
    await service.transition(plan, ticket.id, S.OPEN, expected_version=1)
    await expect(ErrorCode.CONFLICT, service.transition(plan, ticket.id, S.PENDING, expected_version=1))
    await expect(ErrorCode.CONFLICT, service.update_ticket(plan, ticket.id, {"subject": "New"}, expected_version=1))
    row = await Ticket.get(id=ticket.id)
    assert (row.status, row.subject, row.version) == (S.OPEN, "Printer broken", 2)


# ---------------------------------------------------------------- numbering and SLA


async def test_numbers_are_gapless_and_a_failed_open_gives_its_number_back(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    first = await open_one(plan, customers["sales"], settings)
    await expect(ErrorCode.REQUIRED, open_one(plan, customers["sales"], settings, subject="  "))
    second = await open_one(plan, customers["sales"], settings)
    assert (first.number, second.number) == ("T-000001", "T-000002")


async def test_thirty_concurrent_opens_take_consecutive_numbers(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    tickets = await asyncio.gather(*(open_one(plan, customers["sales"], settings) for _ in range(30)))
    assert sorted(t.number for t in tickets) == [f"T-{i:06d}" for i in range(1, 31)]


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [(TicketPriority.URGENT, 1, 4), (TicketPriority.HIGH, 4, 24), (TicketPriority.NORMAL, 8, 72), (TicketPriority.LOW, 24, 168)],
)
async def test_due_times_follow_priority(world, settings, priority, first_response, resolution) -> None:
    people, customers = world
    ticket = await open_one(await plan_of(people["sales"].agent), customers["sales"], settings, priority=priority.value)
    assert ticket.sla_policy == "default"
    assert ticket.first_response_due_at - ticket.created_at == timedelta(hours=first_response)
    assert ticket.resolution_due_at - ticket.created_at == timedelta(hours=resolution)


async def test_priority_defaults_to_normal_and_a_new_priority_replans(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings)
    assert ticket.priority == TicketPriority.NORMAL
    urgent = await service.update_ticket(plan, ticket.id, {"priority": "urgent"})
    assert urgent.resolution_due_at - urgent.created_at == timedelta(hours=4)
    step = await TicketActivity.get(ticket_id=ticket.id, kind=TicketActivityKind.CLASSIFIED)
    assert step.data == {"priority": {"from": "normal", "to": "urgent"}} and "normal -> urgent" in step.note


async def test_resolving_late_stamps_the_breach(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings, priority="urgent")
    past = ticket.created_at - timedelta(hours=5)
    await Ticket.filter(id=ticket.id).update(created_at=past, first_response_due_at=past + timedelta(hours=1),
                                             resolution_due_at=past + timedelta(hours=4))
    resolved = await service.transition(plan, ticket.id, S.RESOLVED)
    assert resolved.resolution_breached_at == past + timedelta(hours=4)
    assert resolved.first_response_breached_at == past + timedelta(hours=1)  # never answered


# ---------------------------------------------------------------- first response, record, rating


async def test_an_agents_comment_is_the_first_response_a_work_log_is_not(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings)
    logged = await service.add_activity(plan, ticket.id, "work_log", "checked the cable", 15)
    assert logged.first_responded_at is None and logged.version == 1
    answered = await service.add_activity(plan, ticket.id, "comment", "On it!")
    assert answered.first_responded_at is not None and answered.version == 2
    again = await service.add_activity(plan, ticket.id, "comment", "Still on it")
    assert again.first_responded_at == answered.first_responded_at
    steps = await TicketActivity.filter(ticket_id=ticket.id).order_by("id")
    assert [(s.kind, s.minutes_spent) for s in steps] == [
        (TicketActivityKind.CREATED, None), (TicketActivityKind.WORK_LOG, 15),
        (TicketActivityKind.COMMENT, None), (TicketActivityKind.COMMENT, None),
    ]
    audit = await AuditEntry.filter(action="ticket.activity").order_by("id")
    assert [e.fields_changed for e in audit] == [[], ["first_responded_at"], []]


@pytest.mark.parametrize(
    ("kind", "note", "minutes", "code", "path"),
    [
        ("status_changed", "x", None, ErrorCode.INVALID, ("kind",)),
        ("rated", "x", None, ErrorCode.INVALID, ("kind",)),
        ("comment", "   ", None, ErrorCode.REQUIRED, ("note",)),
        ("comment", "x" * 100_001, None, ErrorCode.INVALID, ("note",)),
        ("work_log", "x", -1, ErrorCode.INVALID, ("minutesSpent",)),
        ("work_log", "x", 1441, ErrorCode.INVALID, ("minutesSpent",)),
    ],
)
async def test_what_clients_may_add_to_the_record(world, settings, kind, note, minutes, code, path) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings)
    error = await expect(code, service.add_activity(plan, ticket.id, kind, note, minutes))
    assert error.problems[0].path == path
    assert await TicketActivity.filter(ticket_id=ticket.id).count() == 1


async def test_rating_needs_a_resolved_or_closed_ticket_and_a_score_of_one_to_five(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings)
    await expect(ErrorCode.INVALID_TRANSITION, service.rate(plan, ticket.id, 5))
    await service.transition(plan, ticket.id, S.RESOLVED)
    for bad in (0, 6, -3):
        await expect(ErrorCode.INVALID, service.rate(plan, ticket.id, bad))
    rated = await service.rate(plan, ticket.id, 4, "  quick  ")
    assert (rated.satisfaction, rated.satisfaction_comment) == (4, "quick")
    await service.transition(plan, ticket.id, S.CLOSED)
    assert (await service.rate(plan, ticket.id, 5)).satisfaction == 5
    steps = await TicketActivity.filter(ticket_id=ticket.id, kind=TicketActivityKind.RATED).order_by("id")
    assert [s.data for s in steps] == [{"satisfaction": 4}, {"satisfaction": 5}]


# ---------------------------------------------------------------- assignment and scope


async def test_agents_take_tickets_managers_assign_them(world, settings) -> None:
    people, customers = world
    agent, lead = await plan_of(people["sales"].agent), await plan_of(people["lead"].agent)
    ticket = await open_one(agent, customers["sales"], settings)
    await expect(ErrorCode.FORBIDDEN, service.assign(agent, ticket.id, people["sales2"].agent.id))
    taken = await service.assign(agent, ticket.id, people["sales"].agent.id)
    assert taken.assignee_id == people["sales"].agent.id
    handed = await service.assign(lead, ticket.id, people["sales2"].agent.id)
    assert handed.assignee_id == people["sales2"].agent.id
    await expect(ErrorCode.INVALID, service.assign(lead, ticket.id, people["support"].agent.id))  # other department
    await set_agent_active(people["sales"].agent.id, False)
    await expect(ErrorCode.INVALID, service.assign(lead, ticket.id, people["sales"].agent.id))  # inactive
    unassigned = await service.assign(lead, ticket.id, None)
    assert unassigned.assignee_id is None
    steps = await TicketActivity.filter(ticket_id=ticket.id, kind=TicketActivityKind.ASSIGNED).order_by("id")
    ids = (people["sales"].agent.id, people["sales2"].agent.id)
    assert [s.data for s in steps] == [{"from": None, "to": ids[0]}, {"from": ids[0], "to": ids[1]}, {"from": ids[1], "to": None}]
    assert [s.actor_id for s in steps] == [people["sales"].agent.id, people["lead"].agent.id, people["lead"].agent.id]


async def test_opening_with_an_assignee_follows_the_same_rule(world, settings) -> None:
    people, customers = world
    agent = await plan_of(people["sales"].agent)
    await expect(ErrorCode.FORBIDDEN, open_one(agent, customers["sales"], settings, assignee=people["sales2"].agent.id))
    mine = await open_one(agent, customers["sales"], settings, assignee=people["sales"].agent.id)
    assert mine.assignee_id == people["sales"].agent.id and mine.status == S.NEW
    kinds = await TicketActivity.filter(ticket_id=mine.id).order_by("id").values_list("kind", flat=True)
    assert kinds == [TicketActivityKind.CREATED, TicketActivityKind.ASSIGNED]


async def test_a_sales_agent_can_neither_see_nor_change_a_support_ticket(world, settings) -> None:
    people, customers = world
    support_plan, sales_plan = await plan_of(people["support"].agent), await plan_of(people["sales"].agent)
    ticket = await open_one(support_plan, customers["support"], settings)
    for change in (
        service.transition(sales_plan, ticket.id, S.OPEN),
        service.update_ticket(sales_plan, ticket.id, {"subject": "mine now"}),
        service.assign(sales_plan, ticket.id, people["sales"].agent.id),
        service.add_activity(sales_plan, ticket.id, "comment", "hello"),
        service.rate(sales_plan, ticket.id, 5),
    ):
        error = await expect(ErrorCode.NOT_FOUND, change)
        assert error.problems[0].message == "ticket not found"
    await expect(ErrorCode.NOT_FOUND, open_one(sales_plan, customers["support"], settings))  # nor open one for its customer
    assert (await Ticket.get(id=ticket.id)).version == 1


async def test_opening_in_a_department_one_may_not_work_is_forbidden(world, settings) -> None:
    people, customers = world
    support = await plan_of(people["support"].agent)  # reads every customer, works only support tickets
    await expect(ErrorCode.FORBIDDEN, open_one(support, customers["sales"], settings))
    ticket = await open_one(support, customers["sales"], settings, department="support")
    assert ticket.department_id == (await Department.get(code="support")).id
    await expect(ErrorCode.INVALID, open_one(support, customers["sales"], settings, department="nowhere"))


async def test_tickets_of_a_deleted_customer_are_out_of_reach(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings)
    await Customer.filter(id=customers["sales"].id).update(deleted_at=datetime.now(UTC))
    await expect(ErrorCode.NOT_FOUND, service.transition(plan, ticket.id, S.OPEN))


# ---------------------------------------------------------------- input and audit


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"subject": None}, ErrorCode.REQUIRED, ("input", "subject")),
        ({"subject": "x" * 301}, ErrorCode.INVALID, ("input", "subject")),
        ({"category": "c" * 101}, ErrorCode.INVALID, ("input", "category")),
        ({"description": "d" * 100_001}, ErrorCode.INVALID, ("input", "description")),
        ({"tags": ["t" * 51]}, ErrorCode.INVALID, ("input", "tags", "0")),
        ({"custom": [1]}, ErrorCode.INVALID, ("input", "custom")),
    ],
)
async def test_each_input_rule_names_its_field(world, settings, fields, code, path) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    error = await expect(code, open_one(plan, customers["sales"], settings, **fields))
    assert error.problems[0].path == path
    assert await Ticket.all().count() == 0


async def test_every_change_is_audited_without_values(world, settings) -> None:
    people, customers = world
    plan = await plan_of(people["sales"].agent)
    ticket = await open_one(plan, customers["sales"], settings, description="Call me on +1 415 555 2671", tags=["Printer"])
    await service.update_ticket(plan, ticket.id, {"subject": "Printer on fire", "category": "hardware"})
    await service.assign(plan, ticket.id, people["sales"].agent.id)
    await service.add_activity(plan, ticket.id, "comment", "ann@example.com says hi")
    await service.transition(plan, ticket.id, S.RESOLVED)
    await service.rate(plan, ticket.id, 5, "great, thanks Ann")
    entries = await AuditEntry.filter(entity="ticket").order_by("id")
    assert [e.action for e in entries] == [
        "ticket.open", "ticket.update", "ticket.assign", "ticket.activity", "ticket.transition", "ticket.rate",
    ]
    assert all(e.actor == "user:sales.rep@example.com" and e.entity_id == str(ticket.id) for e in entries)
    assert entries[1].fields_changed == ["category", "subject"]
    text = repr([(e.fields_changed, e.data) for e in entries])
    for secret in ("415", "ann@example.com", "Printer on fire", "great", "Ann"):
        assert secret not in text
