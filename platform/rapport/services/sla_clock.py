"""The SLA clocks of one ticket through its life: planned on open, re-planned on a new priority, stopped
while PENDING, moved on when it resumes, stamped when a target is met late.

Each function returns the columns to write, for the caller's own (version-guarded) update. A pause
keeps the business time that was left: on resume every target still running gets a due time with exactly
as much business time left - or overdue - as when the pause began (``moved``); a breach already stamped
stays stamped. ``sla_paused_seconds`` adds up the paused business time.
"""

from __future__ import annotations

from copy import copy as shallow_copy
from datetime import datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from rapport.models import Customer, Department, Ticket, TicketPriority, TicketStatus
from rapport.services.business_hours import BusinessCalendar
from rapport.services.service_config import SlaPolicy
from rapport.services.sla_policies import (
    TicketContext,
    calendar_for,
    calendar_named,
    plan_terms,
    policy_named,
    select_sla_policy,
)
from rapport.services.ticket_sla import SlaTerms, breach_stamps
from rapport.services.ticket_workflow import ACTIVE, DONE, PENDING


async def department_code(department_id: int, conn: BaseDBAsyncClient | None = None) -> str:
    query = Department.filter(id=department_id)
    query = query.using_db(conn) if conn is not None else query
    return await query.first().values_list("code", flat=True)  # type: ignore[return-value]


async def _context(row: Ticket, priority: TicketPriority | str, conn: BaseDBAsyncClient | None) -> TicketContext:
    query = Customer.filter(id=row.customer_id)
    tier = await (query.using_db(conn) if conn is not None else query).first().values_list("tier", flat=True)
    return TicketContext(
        priority=TicketPriority(priority), department=await department_code(row.department_id, conn),
        tier=_value(tier), category=row.category, tags=tuple(row.tags or ()), customer_id=row.customer_id,
        ticket_id=row.id, custom=row.custom or {},
    )


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


async def terms_for_new_ticket(context: TicketContext, opened_at: datetime) -> SlaTerms:
    """The policy and due times of a ticket being opened."""
    policy = await select_sla_policy(context)
    return plan_terms(policy, calendar_for(policy, context.department), context.priority, opened_at)


async def replan_columns(row: Ticket, priority: TicketPriority | str, conn: BaseDBAsyncClient | None = None) -> dict[str, Any]:
    """A new priority: choose the policy again and plan its targets from the opening, counting the
    business time already spent paused (a running pause is shifted away when it ends)."""
    context = await _context(row, priority, conn)
    policy = await select_sla_policy(context)
    paused = timedelta(seconds=row.sla_paused_seconds or 0)
    return plan_terms(policy, calendar_for(policy, context.department), priority, row.created_at, paused).columns()


async def ticket_calendar(row: Ticket, conn: BaseDBAsyncClient | None = None) -> BusinessCalendar:
    return calendar_named(row.sla_policy, await department_code(row.department_id, conn))


def moved(calendar: BusinessCalendar, moment: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """Where a due (or warning) time goes when the clocks stood still from ``paused_at`` to ``resumed_at``:
    the business time left at the pause is left after the resume (a target not yet due is never overdue
    right after a resume); one overdue at the pause stays exactly as overdue."""
    if moment >= paused_at:
        return calendar.add(resumed_at, calendar.between(paused_at, moment))
    return calendar.add(moment, calendar.between(paused_at, resumed_at))


def _resumed(row: Ticket, now: datetime, calendar: BusinessCalendar) -> dict[str, Any]:
    """Columns that end the pause at ``now``: every target still running keeps the business time it had
    left (or stays as overdue as it was) when the pause began."""
    paused_at: datetime = row.sla_paused_at  # type: ignore[assignment]
    paused = calendar.between(paused_at, now) if now > paused_at else timedelta(0)
    columns: dict[str, Any] = {
        "sla_paused_at": None,
        "sla_paused_seconds": (row.sla_paused_seconds or 0) + int(paused.total_seconds()),
    }
    if now <= paused_at:
        return columns
    running = {"resolution": True, "first_response": row.first_responded_at is None}
    for target, runs in running.items():
        if not runs:
            continue
        columns[f"{target}_due_at"] = moved(calendar, getattr(row, f"{target}_due_at"), paused_at, now)
        warn_at = getattr(row, f"{target}_warn_at")
        if warn_at is not None and getattr(row, f"{target}_warned_at") is None:
            columns[f"{target}_warn_at"] = moved(calendar, warn_at, paused_at, now)
    return columns


def _with(row: Ticket, columns: dict[str, Any]) -> Ticket:
    """A copy of ``row`` with ``columns`` applied (for computing what follows from them)."""
    copy = shallow_copy(row)
    for name, value in columns.items():
        setattr(copy, name, value)
    return copy


async def transition_columns(
    row: Ticket, to: TicketStatus | str, now: datetime, conn: BaseDBAsyncClient | None = None
) -> dict[str, Any]:
    """SLA columns of moving ``row`` to ``to`` at ``now``: pause on PENDING (when the policy says so), resume
    on leaving it, and breach stamps when the move meets the resolution target late."""
    to = TicketStatus(to)
    current = TicketStatus(row.status)
    columns: dict[str, Any] = {}
    policy: SlaPolicy = policy_named(row.sla_policy)
    if row.sla_paused_at is not None and to != PENDING:
        columns.update(_resumed(row, now, await ticket_calendar(row, conn)))
    elif to == PENDING and row.sla_paused_at is None and current in ACTIVE and policy.pause_while_pending:
        # Targets already overdue are stamped by the sweep: it looks at paused tickets whose due time
        # passed before the pause too.
        columns["sla_paused_at"] = now
    if to in DONE and current not in DONE:
        columns.update(breach_stamps(_with(row, columns), now, resolving=True))
    return columns


async def first_response_columns(row: Ticket, at: datetime, conn: BaseDBAsyncClient | None = None) -> dict[str, Any]:
    """Columns of the ticket's first response at ``at``: the stamp, its breach when late and, when it
    comes while the clocks stand still, the due time moved by the paused business time (as a resume
    would have moved it), so that "responded after the due time" keeps meaning "late"."""
    columns: dict[str, Any] = {"first_responded_at": at}
    paused_at = row.sla_paused_at
    if paused_at is not None and at > paused_at:
        calendar = await ticket_calendar(row, conn)
        columns["first_response_due_at"] = moved(calendar, row.first_response_due_at, paused_at, at)
    columns.update(breach_stamps(row, at, responding=True))
    return columns
