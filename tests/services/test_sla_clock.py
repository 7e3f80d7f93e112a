"""SLA clocks in business time through a ticket's life, with fixed clocks: planning, pause and resume,
responses and resolutions while paused, re-planning; and properties of pause/resume (hypothesis)."""

from __future__ import annotations

from copy import copy
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from rapport.models import Customer, Department, Ticket, TicketPriority, TicketStatus
from rapport.services import sla_clock
from rapport.services import tickets as service
from rapport.services.service_config import parse_service_config, use_config
from rapport.services.ticket_sla import sla_state
from tests.services.test_tickets import open_one, plan_of
from tests.support.personas import cast

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
CONFIG = parse_service_config({
    "calendars": {"office": {"timezone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu", "fri"], "hours": "09:00-17:00"}},
    "departments": {"sales": {"calendar": "office"}},
    "policies": [{"name": "no-pause", "priority": ["LOW"], "first_response": "2h", "resolution": "8h", "pause_while_pending": False}],
})
OFFICE = CONFIG.calendars["office"]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch):
    """Set the services' clock: ``clock(datetime)``."""
    state = {"now": berlin(2025, 3, 3, 10)}
    monkeypatch.setattr(service, "_now", lambda: state["now"])

    def set_now(moment: datetime) -> datetime:
        state["now"] = moment
        return moment

    return set_now


@pytest.fixture
async def world(db, settings):
    previous = use_config(CONFIG)
    people = await cast(settings)
    customer = await Customer.create(name="Ann", department=await Department.get(code="sales"))
    plan = await plan_of(people["sales"].agent)
    yield plan, customer
    use_config(previous)


async def state(ticket_id: int, now: datetime):
    row = await Ticket.get(id=ticket_id)
    return row, sla_state(row, now, await sla_clock.ticket_calendar(row))


async def test_due_times_are_planned_in_business_hours(world, clock, settings) -> None:
    plan, customer = world
    clock(berlin(2025, 3, 7, 16))  # Friday 16:00
    ticket = await open_one(plan, customer, settings, priority="high")  # default policy: 4 h / 24 h
    assert ticket.sla_policy == "default"
    assert ticket.first_response_due_at == berlin(2025, 3, 10, 12)  # Monday 12:00
    assert ticket.resolution_due_at == berlin(2025, 3, 12, 16)  # 1 + 8 + 8 + 7 business hours: Wednesday 16:00
    assert ticket.first_response_warn_at == berlin(2025, 3, 10, 11, 12)  # 80% of 4 h = 3 h 12 min
    # Across the night and the weekend the clock stands: at Sunday noon 3 business hours are left.
    _, sla = await state(ticket.id, berlin(2025, 3, 9, 12))
    assert sla.remaining_seconds == 3 * 3600 and not sla.first_response_breached
    _, sla = await state(ticket.id, berlin(2025, 3, 10, 13))  # Monday 13:00: one business hour overdue
    assert sla.remaining_seconds == -3600 and sla.first_response_breached


async def test_pending_stops_the_clocks_and_resuming_keeps_what_was_left(world, clock, settings) -> None:
    plan, customer = world
    clock(berlin(2025, 3, 3, 10))  # Monday 10:00, HIGH: first response due 14:00
    ticket = await open_one(plan, customer, settings, priority="high")
    clock(berlin(2025, 3, 3, 11))
    await service.transition(plan, ticket.id, "pending")
    row, sla = await state(ticket.id, berlin(2025, 3, 3, 16))
    assert row.sla_paused_at == berlin(2025, 3, 3, 11)
    assert sla.remaining_seconds == 3 * 3600  # stood still since 11:00
    assert not (await state(ticket.id, berlin(2025, 3, 5, 12)))[1].first_response_breached  # due time passed while paused
    clock(berlin(2025, 3, 4, 10))  # Tuesday 10:00: 7 business hours later
    await service.transition(plan, ticket.id, "open")
    row, sla = await state(ticket.id, berlin(2025, 3, 4, 10))
    assert row.sla_paused_at is None and row.sla_paused_seconds == 7 * 3600
    assert row.first_response_due_at == berlin(2025, 3, 4, 13)  # the 3 h left, from the resume
    assert row.first_response_warn_at == berlin(2025, 3, 4, 12, 12)
    assert sla.remaining_seconds == 3 * 3600


async def test_a_response_or_resolution_while_paused_is_not_late(world, clock, settings) -> None:
    plan, customer = world
    clock(berlin(2025, 3, 3, 10))
    ticket = await open_one(plan, customer, settings, priority="urgent")  # 1 h / 4 h
    clock(berlin(2025, 3, 3, 10, 30))
    await service.transition(plan, ticket.id, "pending")
    clock(berlin(2025, 3, 3, 15))  # hours after the due time, but the clock stood at 10:30
    await service.add_activity(plan, ticket.id, "comment", "Any news?")
    row = await Ticket.get(id=ticket.id)
    assert row.first_responded_at == berlin(2025, 3, 3, 15) and row.first_response_breached_at is None
    assert row.first_response_due_at == berlin(2025, 3, 3, 15, 30)  # moved as a resume would have moved it
    clock(berlin(2025, 3, 4, 9, 30))
    resolved = await service.transition(plan, ticket.id, "resolved")
    assert resolved.resolution_breached_at is None and resolved.sla_paused_at is None
    assert resolved.resolution_due_at == berlin(2025, 3, 4, 13)  # 3.5 h were left at the pause
    _, sla = await state(ticket.id, berlin(2025, 3, 9))
    assert (sla.first_response_breached, sla.resolution_breached, sla.remaining_seconds) == (False, False, None)


async def test_a_target_overdue_before_the_pause_stays_overdue(world, clock, settings) -> None:
    plan, customer = world
    clock(berlin(2025, 3, 3, 10))
    ticket = await open_one(plan, customer, settings, priority="urgent")  # first response due 11:00
    clock(berlin(2025, 3, 3, 12))
    await service.transition(plan, ticket.id, "pending")
    _, sla = await state(ticket.id, berlin(2025, 3, 3, 16))
    assert sla.first_response_breached and sla.remaining_seconds == -3600  # frozen at one hour overdue
    clock(berlin(2025, 3, 3, 13))
    row = await service.transition(plan, ticket.id, "open")
    assert row.first_response_due_at == berlin(2025, 3, 3, 12)  # moved by the hour paused: still 1 h overdue
    assert row.resolution_due_at == berlin(2025, 3, 3, 15)  # 2 h were left at 12:00, from 13:00
    _, sla = await state(ticket.id, berlin(2025, 3, 3, 13))
    assert sla.first_response_breached and sla.remaining_seconds == -3600


async def test_a_policy_that_does_not_pause(world, clock, settings) -> None:
    plan, customer = world
    clock(berlin(2025, 3, 3, 10))
    ticket = await open_one(plan, customer, settings, priority="low")
    assert ticket.sla_policy == "no-pause"
    clock(berlin(2025, 3, 3, 11))
    row = await service.transition(plan, ticket.id, "pending")
    assert row.sla_paused_at is None
    assert (await state(ticket.id, berlin(2025, 3, 3, 12, 30)))[1].first_response_breached


async def test_a_new_priority_replans_counting_paused_time(world, clock, settings) -> None:
    plan, customer = world
    clock(berlin(2025, 3, 3, 10))
    ticket = await open_one(plan, customer, settings, priority="normal")
    clock(berlin(2025, 3, 3, 11))
    await service.transition(plan, ticket.id, "pending")
    clock(berlin(2025, 3, 3, 13))
    await service.transition(plan, ticket.id, "open")  # 2 business hours paused
    row = await service.update_ticket(plan, ticket.id, {"priority": TicketPriority.HIGH})
    assert (row.sla_policy, row.sla_paused_seconds) == ("default", 7200)
    assert row.first_response_due_at == berlin(2025, 3, 3, 16)  # 10:00 + 4 h + 2 h paused
    low = await service.update_ticket(plan, ticket.id, {"priority": TicketPriority.LOW})
    assert low.sla_policy == "no-pause"  # the policy is chosen again with the new priority


# --- properties of pause and resume (no database) ---------------------------------------------------------

INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC))
SPANS = st.integers(min_value=0, max_value=14 * 24 * 3600).map(lambda s: timedelta(seconds=s))


def _row(opened: datetime, first: timedelta, resolution: timedelta) -> Ticket:
    return Ticket(
        id=1, status=TicketStatus.OPEN, sla_policy="default", created_at=opened, updated_at=opened,
        first_response_due_at=OFFICE.add(opened, first), resolution_due_at=OFFICE.add(opened, resolution),
        first_response_warn_at=None, resolution_warn_at=None, first_responded_at=None, resolved_at=None, closed_at=None,
        first_response_breached_at=None, resolution_breached_at=None, first_response_warned_at=None,
        resolution_warned_at=None, sla_paused_at=None, sla_paused_seconds=0,
    )


@hypothesis_settings(max_examples=200, deadline=None)
@given(opened=INSTANTS, until_pause=SPANS, paused_for=SPANS, first=st.integers(1, 40), resolution=st.integers(41, 120))
def test_time_left_is_the_same_before_the_pause_and_after_the_resume(opened, until_pause, paused_for, first, resolution) -> None:
    row = _row(opened, first * H, resolution * H)
    paused_at = opened + until_pause
    for target in ("first_response", "resolution"):  # what the sweep stamps before the pause
        if getattr(row, f"{target}_due_at") < paused_at:
            setattr(row, f"{target}_breached_at", getattr(row, f"{target}_due_at"))
    before = sla_state(row, paused_at, OFFICE)
    paused = copy(row)
    paused.sla_paused_at = paused_at
    resume_at = paused_at + paused_for
    assert sla_state(paused, resume_at, OFFICE) == before  # nothing moves while paused
    resumed = copy(paused)
    for name, value in sla_clock._resumed(paused, resume_at, OFFICE).items():
        setattr(resumed, name, value)
    after = sla_state(resumed, resume_at, OFFICE)
    assert after.remaining_seconds == before.remaining_seconds
    assert (after.first_response_breached, after.resolution_breached) == (before.first_response_breached, before.resolution_breached)
    assert resumed.sla_paused_seconds == int(OFFICE.between(paused_at, resume_at).total_seconds())
    # Each target has as much business time left (or overdue) after the resume as at the pause.
    for target in ("first_response", "resolution"):
        old, new = getattr(row, f"{target}_due_at"), getattr(resumed, f"{target}_due_at")
        assert OFFICE.between(resume_at, new) == OFFICE.between(paused_at, old)
        if old >= paused_at:  # not yet due at the pause: not overdue right after the resume either
            assert new >= resume_at
