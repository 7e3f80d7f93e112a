"""The ticket workflow: which status may follow which (the API contract's table, nothing else).

    NEW      -> OPEN | PENDING | RESOLVED | CLOSED
    OPEN     -> PENDING | RESOLVED | CLOSED
    PENDING  -> OPEN | RESOLVED | CLOSED
    RESOLVED -> CLOSED | OPEN   (reopen)
    CLOSED   -> OPEN            (reopen)

Staying in the same status is not a transition. Nothing leads back to NEW.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapport.models import TicketStatus
from rapport.services.errors import DomainError, ErrorCode

NEW, OPEN, PENDING, RESOLVED, CLOSED = (
    TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED,
)

ALLOWED: dict[TicketStatus, frozenset[TicketStatus]] = {
    NEW: frozenset({OPEN, PENDING, RESOLVED, CLOSED}),
    OPEN: frozenset({PENDING, RESOLVED, CLOSED}),
    PENDING: frozenset({OPEN, RESOLVED, CLOSED}),
    RESOLVED: frozenset({CLOSED, OPEN}),
    CLOSED: frozenset({OPEN}),
}

ACTIVE = frozenset({NEW, OPEN, PENDING})  # the SLA clocks run
DONE = frozenset({RESOLVED, CLOSED})  # the resolution target is met (or missed for good)


def can_transition(current: TicketStatus | str, to: TicketStatus | str) -> bool:
    return TicketStatus(to) in ALLOWED[TicketStatus(current)]


def check_transition(current: TicketStatus | str, to: TicketStatus | str, path: Sequence[str] = ("to",)) -> None:
    """Raise INVALID_TRANSITION, naming both statuses, unless ``current -> to`` is in the table."""
    if not can_transition(current, to):
        allowed = ", ".join(sorted(s.name for s in ALLOWED[TicketStatus(current)]))
        raise DomainError.single(
            ErrorCode.INVALID_TRANSITION,
            f"a ticket cannot go from {TicketStatus(current).name} to {TicketStatus(to).name} (from {TicketStatus(current).name}: {allowed})",
            path,
        )
