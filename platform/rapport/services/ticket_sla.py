"""Service levels of tickets: the built-in policy's due times, and the state of a ticket's targets.

The built-in ``default`` policy plans both targets from the moment the ticket opens, by priority:

    priority  first response  resolution
    URGENT    1 h             4 h
    HIGH      4 h             24 h
    NORMAL    8 h             72 h
    LOW       24 h            168 h

Configured policies (``service_config``, chosen by ``sla_policies.select_sla_policy``) measure their
targets in business time, and their clocks stop while a ticket is PENDING (``sla_clock``): the stored
due times are the instants the targets fall due, moved forward by each pause when the ticket resumes.
A target is met by the first agent comment (first response) and by resolving or closing the ticket
(resolution); a reopened ticket has the resolution target running again against the same due time. A
breach, once stamped, stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport.models import Ticket, TicketPriority, TicketStatus
from rapport.services.business_hours import ALWAYS, BusinessCalendar
from rapport.services.ticket_workflow import DONE

DEFAULT_POLICY = "default"

FIRST_RESPONSE_WITHIN: dict[TicketPriority, timedelta] = {
    TicketPriority.URGENT: timedelta(hours=1),
    TicketPriority.HIGH: timedelta(hours=4),
    TicketPriority.NORMAL: timedelta(hours=8),
    TicketPriority.LOW: timedelta(hours=24),
}
RESOLUTION_WITHIN: dict[TicketPriority, timedelta] = {
    TicketPriority.URGENT: timedelta(hours=4),
    TicketPriority.HIGH: timedelta(hours=24),
    TicketPriority.NORMAL: timedelta(hours=72),
    TicketPriority.LOW: timedelta(hours=168),
}


@dataclass(frozen=True)
class SlaTerms:
    policy: str
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_response_warn_at: datetime | None = None
    resolution_warn_at: datetime | None = None

    def columns(self) -> dict[str, object]:
        return {
            "sla_policy": self.policy,
            "first_response_due_at": self.first_response_due_at,
            "resolution_due_at": self.resolution_due_at,
            "first_response_warn_at": self.first_response_warn_at,
            "resolution_warn_at": self.resolution_warn_at,
        }


def default_terms(priority: TicketPriority | str, opened_at: datetime) -> SlaTerms:
    """Due times of the default policy for a ticket of ``priority`` opened at ``opened_at``."""
    priority = TicketPriority(priority)
    return SlaTerms(DEFAULT_POLICY, opened_at + FIRST_RESPONSE_WITHIN[priority], opened_at + RESOLUTION_WITHIN[priority])


@dataclass(frozen=True)
class SlaState:
    first_response_breached: bool
    resolution_breached: bool
    remaining_seconds: int | None  # to the next due time; negative when breached; None when met or closed


def _resolution_stopped_at(row: Ticket) -> datetime | None:
    if TicketStatus(row.status) not in DONE:
        return None
    return row.resolved_at or row.closed_at or row.updated_at


def clock_time(row: Ticket, now: datetime) -> datetime:
    """Where the ticket's SLA clocks stand: ``now``, or the moment they stopped while the ticket is paused."""
    paused = getattr(row, "sla_paused_at", None)
    return paused if paused is not None and paused < now else now


def sla_state(row: Ticket, now: datetime, calendar: BusinessCalendar = ALWAYS) -> SlaState:
    """Breaches and the time left, from the ticket's stored due times, stamps and pause.

    ``remaining_seconds`` is business time in ``calendar`` (the ticket policy's): what is left of the
    target, not the wall-clock distance to the due time. While the ticket is paused it stands still."""
    stopped = _resolution_stopped_at(row)
    clock = clock_time(row, now) if stopped is None else now
    # Without an agent comment, the wait for a first response ends when the ticket is resolved or closed.
    responded = row.first_responded_at or stopped
    first_breached = row.first_response_breached_at is not None or (responded or clock) > row.first_response_due_at
    resolution_breached = row.resolution_breached_at is not None or (stopped or clock) > row.resolution_due_at
    if stopped is not None:
        remaining = None
    else:
        next_due = row.resolution_due_at if row.first_responded_at else min(row.first_response_due_at, row.resolution_due_at)
        remaining = math.floor(calendar.between(clock, next_due).total_seconds())
    return SlaState(first_breached, resolution_breached, remaining)


def breach_stamps(row: Ticket, now: datetime, *, responding: bool = False, resolving: bool = False) -> dict[str, datetime]:
    """Columns that record a breach at the moment a target is met late (the SLA sweep stamps the rest).

    The stamp is the due time: the moment the breach happened. Stamping when the target is met keeps
    ``breached`` filters (which read the columns) in line with ``TicketSla`` for tickets already done.
    """
    stamps: dict[str, datetime] = {}
    now = clock_time(row, now)  # met while paused: the clocks stood still since the pause
    if responding and row.first_response_breached_at is None and now > row.first_response_due_at:
        stamps["first_response_breached_at"] = row.first_response_due_at
    if resolving and row.resolution_breached_at is None and now > row.resolution_due_at:
        stamps["resolution_breached_at"] = row.resolution_due_at
    # Resolved without any agent comment: the first response target ends here too.
    unanswered = resolving and row.first_responded_at is None
    if unanswered and row.first_response_breached_at is None and now > row.first_response_due_at:
        stamps["first_response_breached_at"] = row.first_response_due_at
    return stamps
