"""The SLA sweep: warnings, breaches stamped exactly once (also under concurrent sweeps), escalation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from rapport.events import bus
from rapport.models import AuditEntry, Customer, Department, OutboxEvent, Ticket, TicketActivity, TicketActivityKind
from rapport.services import tickets as service
from rapport.services.service_config import parse_service_config, use_config
from rapport.services.sla_sweep import sweep
from tests.services.test_tickets import open_one, plan_of
from tests.support.graphql import make_agent
from tests.support.personas import cast

K = TicketActivityKind
T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
CONFIG = parse_service_config({
    "policies": [
        {"name": "quiet", "priority": ["LOW"], "first_response": "1h", "resolution": "2h", "warn_at": 0.5,
         "escalate": {"on": ["resolution"], "raise_priority": False, "reassign_to_manager": False}},
    ],
})


@pytest.fixture
async def world(db, settings, monkeypatch):
    previous = use_config(CONFIG)
    now = {"t": T0}
    monkeypatch.setattr(service, "_now", lambda: now["t"])
    people = await cast(settings)
    customer = await Customer.create(name="Ann", department=await Department.get(code="sales"))
    plan = await plan_of(people["sales"].agent)
    yield people, customer, plan
    use_config(previous)


async def activities(ticket_id: int, kind: TicketActivityKind) -> list[TicketActivity]:
    return await TicketActivity.filter(ticket_id=ticket_id, kind=kind).order_by("id")


async def events(topic: str) -> list[OutboxEvent]:
    return await OutboxEvent.filter(topic=topic).order_by("id")


async def test_warning_then_breach_then_escalation(world, settings) -> None:
    people, customer, plan = world
    ticket = await open_one(plan, customer, settings, priority="high", assignee=people["sales"].agent.id)  # 4 h / 24 h
    assert (await sweep(T0 + 3 * H)).warned == 0  # 80% of 4 h is 3 h 12 min
    report = await sweep(T0 + 3.5 * H)
    assert (report.warned, report.breached) == (1, 0)
    [warning] = await events("ticket.sla_warning")
    assert (warning.entity_id, warning.payload["target"]) == (str(ticket.id), "first_response")
    assert (await sweep(T0 + 3.6 * H)).warned == 0  # warned once

    report = await sweep(T0 + 5 * H)
    assert (report.breached, report.escalated) == (1, 1)
    row = await Ticket.get(id=ticket.id)
    assert row.first_response_breached_at == T0 + 4 * H  # stamped with the due time
    assert row.priority == "urgent" and row.escalated_at == T0 + 5 * H
    assert row.assignee_id == people["lead"].agent.id  # the department's manager (manager@sales)
    [breach] = await activities(ticket.id, K.SLA_BREACHED)
    assert breach.actor_id is None and breach.data["sla"] == "first_response"
    [escalation] = await activities(ticket.id, K.ESCALATED)
    assert escalation.data["toPriority"] == "urgent" and "reassigned" in escalation.note
    handover = (await activities(ticket.id, K.ASSIGNED))[-1]
    assert handover.data == {"from": people["sales"].agent.id, "to": people["lead"].agent.id, "rule": "escalation"}
    [breached] = await events("ticket.sla_breached")
    [escalated] = await events("ticket.escalated")
    assert breached.payload["target"] == "first_response" and escalated.payload["toAssignee"] == people["lead"].agent.id
    assert await AuditEntry.filter(action="ticket.escalate", actor="system:sla").count() == 1
    assert row.version == ticket.version + 2  # the stamp and the escalation, each a new version

    report = await sweep(T0 + 30 * H)  # the resolution target now (URGENT since the escalation; planned as HIGH)
    assert (report.breached, report.escalated) == (1, 1)
    assert (await Ticket.get(id=ticket.id)).priority == "urgent"  # already at the top
    assert [a.data["sla"] for a in await activities(ticket.id, K.SLA_BREACHED)] == ["first_response", "resolution"]
    assert (await sweep(T0 + 40 * H)).breached == 0


async def test_the_policy_decides_what_escalates(world, settings) -> None:
    people, customer, plan = world
    ticket = await open_one(plan, customer, settings, priority="low")  # policy "quiet": 1 h / 2 h, warn at 50%
    report = await sweep(T0 + 1.5 * H)
    assert (report.warned, report.breached, report.escalated) == (1, 1, 0)  # first response: no escalation
    report = await sweep(T0 + 3 * H)
    assert (report.breached, report.escalated) == (1, 1)
    row = await Ticket.get(id=ticket.id)
    assert row.priority == "low" and row.assignee_id is None and row.escalated_at is not None


async def test_met_paused_and_done_targets_are_not_breached(world, settings, monkeypatch) -> None:
    people, customer, plan = world
    answered = await open_one(plan, customer, settings, priority="urgent")
    paused = await open_one(plan, customer, settings, priority="urgent")
    done = await open_one(plan, customer, settings, priority="urgent")
    overdue_then_paused = await open_one(plan, customer, settings, priority="urgent")
    monkeypatch.setattr(service, "_now", lambda: T0 + 0.5 * H)
    await service.add_activity(plan, answered.id, "comment", "On it")
    await service.transition(plan, paused.id, "pending")
    await service.transition(plan, done.id, "resolved")
    monkeypatch.setattr(service, "_now", lambda: T0 + 1.5 * H)
    await service.transition(plan, overdue_then_paused.id, "pending")  # 30 min after its first response was due
    report = await sweep(T0 + 2 * H)
    breached = {(a.ticket_id, a.data["sla"]) for a in await TicketActivity.filter(kind=K.SLA_BREACHED)}
    assert breached == {(overdue_then_paused.id, "first_response")}
    assert report.breached == 1


async def test_a_late_resolution_records_its_breach_once(world, settings, monkeypatch) -> None:
    people, customer, plan = world
    ticket = await open_one(plan, customer, settings, priority="urgent")  # 1 h / 4 h
    monkeypatch.setattr(service, "_now", lambda: T0 + 5 * H)
    await service.transition(plan, ticket.id, "resolved")  # both targets met late, before any sweep
    assert sorted(a.data["sla"] for a in await activities(ticket.id, K.SLA_BREACHED)) == ["first_response", "resolution"]
    assert len(await events("ticket.sla_breached")) == 2
    assert (await sweep(T0 + 6 * H)).breached == 0  # nothing left for the sweep
    assert await activities(ticket.id, K.ESCALATED) == []  # done: nothing to escalate


async def test_concurrent_sweeps_breach_and_escalate_exactly_once(world, settings) -> None:
    people, customer, plan = world
    await make_agent("sales.manager2@example.com", "sales", roles=("manager@sales",))
    tickets = [await open_one(plan, customer, settings, priority="normal") for _ in range(12)]
    reports = await asyncio.gather(*(sweep(T0 + 9 * H) for _ in range(4)))  # four sweeps at once
    assert sum(r.breached for r in reports) == 12 and sum(r.escalated for r in reports) == 12
    for ticket in tickets:
        assert len(await activities(ticket.id, K.SLA_BREACHED)) == 1
        assert len(await activities(ticket.id, K.ESCALATED)) == 1
        row = await Ticket.get(id=ticket.id)
        assert row.priority == "high" and row.version == ticket.version + 2
    assert len(await events("ticket.sla_breached")) == 12 and len(await events("ticket.escalated")) == 12
    assert sum(r.breached for r in await asyncio.gather(*(sweep(T0 + 9 * H) for _ in range(2)))) == 0


async def test_an_agents_concurrent_update_conflicts_instead_of_losing_the_escalation(world, settings) -> None:
    people, customer, plan = world
    ticket = await open_one(plan, customer, settings, priority="normal")
    await sweep(T0 + 9 * H)
    from rapport.services.errors import DomainError

    with pytest.raises(DomainError) as stale:
        await service.update_ticket(plan, ticket.id, {"subject": "New subject"}, expected_version=ticket.version)
    assert stale.value.problems[0].code.value == "CONFLICT"


async def test_a_breach_is_announced_to_live_subscribers(world, settings) -> None:
    people, customer, plan = world
    ticket = await open_one(plan, customer, settings, priority="urgent")
    async with bus.subscribe("ticket") as messages:
        await sweep(T0 + 2 * H)
        message = await asyncio.wait_for(anext(messages), timeout=5)
    assert message["id"] == ticket.id and message["topic"] == "ticket.sla_breached"
