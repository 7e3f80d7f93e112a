"""The SLA sweep: warn before a target falls due, stamp each breach once, escalate per policy.

``sweep(now)`` is run every few seconds by the scheduler (``rapport.jobs.sla``). For each target
(first response, resolution) it handles, oldest first and in batches:

- warnings: the warning time (``warn_at`` of the target, default 80%) has passed, not yet warned ->
  ``*_warned_at`` stamped and a ``ticket.sla_warning`` outbox event;
- breaches: the due time has passed, not yet stamped -> ``*_breached_at`` stamped with the due time,
  an SLA_BREACHED activity, a ``ticket.sla_breached`` outbox event, and the policy's escalation
  (``escalated_at``, an ESCALATED activity, priority one step up, the ticket reassigned to the
  department's manager with an ASSIGNED activity, a ``ticket.escalated`` event).

Exactly once, however many sweeps run at once: each stamp is an ``UPDATE ... WHERE <stamp> IS NULL AND
<still due>`` in its own transaction with everything the breach causes; of concurrent sweeps one
updates the row, the others update nothing and do nothing (PostgreSQL re-checks the condition after
the row lock; SQLite runs one writer at a time). A target met meanwhile is not breached either.
Paused tickets are skipped, except for targets that were already overdue when the pause began.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from rapport.auth.actor import Actor
from rapport.events.live import ticket_id_changed
from rapport.events.outbox import emit
from rapport.models import Agent, PolicyRule, Ticket, TicketActivity, TicketActivityKind, TicketPriority
from rapport.services import audit
from rapport.services.service_config import TARGETS, SlaPolicy, current_config
from rapport.services.sla_clock import department_code
from rapport.services.sla_policies import policy_named
from rapport.services.ticket_workflow import ACTIVE

log = structlog.get_logger("rapport.sla")

SYSTEM = Actor(kind="system", name="sla")  # the subject of automatic changes in the audit trail
BATCH = 200
ESCALATION_ORDER = (TicketPriority.LOW, TicketPriority.NORMAL, TicketPriority.HIGH, TicketPriority.URGENT)


@dataclass
class SweepReport:
    warned: int = 0
    breached: int = 0
    escalated: int = 0
    tickets: set[int] = field(default_factory=set)  # changed, to publish after commit

    def __str__(self) -> str:
        return f"{self.warned} warned, {self.breached} breached, {self.escalated} escalated"


# --- which tickets ------------------------------------------------------------------------------------------


def _open_target(target: str) -> Q:
    """The target still runs: ticket active (the literal IS NULL tests match the partial indexes) and,
    for the first response, no response yet."""
    q = Q(status__in=[s.value for s in ACTIVE], resolved_at__isnull=True, closed_at__isnull=True)
    if target == "first_response":
        q &= Q(first_responded_at__isnull=True)
    return q


def overdue_q(target: str, now: datetime) -> Q:
    due = f"{target}_due_at"
    running = Q(sla_paused_at__isnull=True) | Q(**{f"{due}__lt": F("sla_paused_at")})
    return _open_target(target) & Q(**{f"{target}_breached_at__isnull": True, f"{due}__lt": now}) & running


def warnable_q(target: str, now: datetime) -> Q:
    return _open_target(target) & Q(**{
        f"{target}_warned_at__isnull": True, f"{target}_warn_at__lte": now, f"{target}_breached_at__isnull": True,
        f"{target}_due_at__gte": now, "sla_paused_at__isnull": True,
    })


# --- recording ------------------------------------------------------------------------------------------------


async def _activity(conn: BaseDBAsyncClient, ticket_id: int, kind: TicketActivityKind, at: datetime, **fields: Any) -> None:
    await TicketActivity.create(using_db=conn, ticket_id=ticket_id, kind=kind, actor_id=None, at=at, **fields)


async def record_breaches(conn: BaseDBAsyncClient, ticket: Ticket, stamps: Mapping[str, Any], now: datetime) -> list[str]:
    """The SLA_BREACHED record and ``ticket.sla_breached`` event of breach stamps just written (by the
    sweep, or by the operation that met a target late). Returns the targets."""
    targets = [t for t in TARGETS if stamps.get(f"{t}_breached_at") is not None]
    for target in targets:
        due = stamps[f"{target}_breached_at"]
        label = target.replace("_", " ")
        await _activity(conn, ticket.id, TicketActivityKind.SLA_BREACHED, now, note=f"{label} overdue since {due.isoformat()}",
                        data={"sla": target, "dueAt": due.isoformat(), "policy": ticket.sla_policy})
        await emit(conn, "ticket.sla_breached", "ticket", ticket.id,
                   {"target": target, "dueAt": due.isoformat(), "policy": ticket.sla_policy, "number": ticket.number})
    return targets


async def department_manager(conn: BaseDBAsyncClient, department_id: int, department: str) -> int | None:
    """The agent escalations go to: the configured manager, else an active agent of the department holding
    ``manager@<department>`` (the lowest id); None when there is none."""
    configured = current_config().department(department).manager
    emails = [configured] if configured else [
        subject.removeprefix("user:")
        for subject in await PolicyRule.filter(ptype="g", v1="role:manager", v2=department, v0__startswith="user:")
        .using_db(conn).values_list("v0", flat=True)
    ]
    if not emails:
        return None
    return await (
        Agent.filter(email__in=emails, department_id=department_id, active=True).using_db(conn).order_by("id").first()
        .values_list("id", flat=True)
    )


def raised(priority: TicketPriority | str) -> TicketPriority:
    index = ESCALATION_ORDER.index(TicketPriority(priority))
    return ESCALATION_ORDER[min(index + 1, len(ESCALATION_ORDER) - 1)]


async def _escalate(conn: BaseDBAsyncClient, ticket: Ticket, policy: SlaPolicy, target: str, now: datetime) -> None:
    rules = policy.escalation
    code = await department_code(ticket.department_id, conn)
    values: dict[str, Any] = {"escalated_at": now}
    priority = TicketPriority(ticket.priority)
    if rules.raise_priority and raised(priority) != priority:
        values["priority"] = raised(priority)
    manager = await department_manager(conn, ticket.department_id, code) if rules.reassign_to_manager else None
    if manager is not None and manager != ticket.assignee_id:
        values["assignee_id"] = manager
    await Ticket.filter(id=ticket.id).using_db(conn).update(**values, version=F("version") + 1, updated_at=now)
    changes = {"target": target, "policy": policy.name}
    notes = [f"{target.replace('_', ' ')} overdue"]
    if "priority" in values:
        changes |= {"fromPriority": priority.value, "toPriority": values["priority"].value}
        notes.append(f"priority {priority.name} -> {values['priority'].name}")
    if "assignee_id" in values:
        changes |= {"fromAssignee": ticket.assignee_id, "toAssignee": manager}
        notes.append("reassigned to the department's manager")
        await _activity(conn, ticket.id, TicketActivityKind.ASSIGNED, now, note="escalated to the department's manager",
                        data={"from": ticket.assignee_id, "to": manager, "rule": "escalation"})
    await _activity(conn, ticket.id, TicketActivityKind.ESCALATED, now, note="; ".join(notes), data=changes)
    await emit(conn, "ticket.escalated", "ticket", ticket.id, {**changes, "number": ticket.number})
    await audit.record(conn, SYSTEM, "ticket.escalate", "ticket", ticket.id,
                       [k.removesuffix("_id") for k in values], data=changes)


# --- the sweep ----------------------------------------------------------------------------------------------


async def _breach(ticket: Ticket, target: str, now: datetime, report: SweepReport) -> None:
    due: datetime = getattr(ticket, f"{target}_due_at")
    stamp = {f"{target}_breached_at": due}
    async with in_transaction() as conn:
        # The whole "still overdue" condition again, now under the row lock: exactly one sweep wins.
        won = await Ticket.filter(overdue_q(target, now), id=ticket.id).using_db(conn).update(
            **stamp, version=F("version") + 1, updated_at=now
        )
        if not won:
            return
        await record_breaches(conn, ticket, stamp, now)
        await audit.record(conn, SYSTEM, "ticket.sla_breach", "ticket", ticket.id, list(stamp), data={"target": target})
        report.breached += 1
        policy = policy_named(ticket.sla_policy)
        if target in policy.escalation.on:
            await _escalate(conn, ticket, policy, target, now)
            report.escalated += 1
    report.tickets.add(ticket.id)


async def _warn(ticket: Ticket, target: str, now: datetime, report: SweepReport) -> None:
    async with in_transaction() as conn:
        won = await Ticket.filter(warnable_q(target, now), id=ticket.id).using_db(conn).update(**{f"{target}_warned_at": now})
        if not won:
            return
        due: datetime = getattr(ticket, f"{target}_due_at")
        await emit(conn, "ticket.sla_warning", "ticket", ticket.id, {
            "target": target, "dueAt": due.isoformat(), "policy": ticket.sla_policy, "number": ticket.number,
        })
        report.warned += 1


async def sweep(now: datetime | None = None, batch: int = BATCH) -> SweepReport:
    """One pass over overdue and nearly due targets (at most ``batch`` of each kind; the next pass goes on)."""
    now = now or datetime.now(UTC)
    report = SweepReport()
    for target in TARGETS:
        for ticket in await Ticket.filter(overdue_q(target, now)).order_by(f"{target}_due_at", "id").limit(batch):
            try:
                await _breach(ticket, target, now, report)
            except Exception:  # one broken ticket must not stop the sweep of the others
                log.exception("sla sweep: breach failed", ticket=ticket.id, target=target)
        for ticket in await Ticket.filter(warnable_q(target, now)).order_by(f"{target}_warn_at", "id").limit(batch):
            try:
                await _warn(ticket, target, now, report)
            except Exception:
                log.exception("sla sweep: warning failed", ticket=ticket.id, target=target)
    for ticket_id in sorted(report.tickets):
        await ticket_id_changed(ticket_id, "ticket.sla_breached")
    if report.warned or report.breached:
        log.info("sla sweep", warned=report.warned, breached=report.breached, escalated=report.escalated)
    return report
