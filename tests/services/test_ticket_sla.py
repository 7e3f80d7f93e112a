"""The default SLA policy's due times, and breaches and time left computed from a ticket's stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.models import Ticket, TicketPriority, TicketStatus
from rapport.services.ticket_sla import breach_stamps, default_terms, sla_state

S = TicketStatus
OPENED = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [(TicketPriority.URGENT, 1, 4), (TicketPriority.HIGH, 4, 24), (TicketPriority.NORMAL, 8, 72), (TicketPriority.LOW, 24, 168)],
)
def test_default_terms_by_priority(priority, first_response, resolution) -> None:
    terms = default_terms(priority, OPENED)
    assert terms.policy == "default"
    assert (terms.first_response_due_at, terms.resolution_due_at) == (
        OPENED + timedelta(hours=first_response), OPENED + timedelta(hours=resolution),
    )


def _row(**fields) -> Ticket:
    opened = OPENED
    terms = default_terms(TicketPriority.HIGH, opened)  # first response 4 h, resolution 24 h
    values = {"status": S.OPEN, "first_responded_at": None, "resolved_at": None, "closed_at": None,
              "first_response_breached_at": None, "resolution_breached_at": None, "updated_at": opened, **fields}
    return Ticket(created_at=opened, **terms.columns(), **values)


@pytest.mark.parametrize(
    ("fields", "hours_later", "expected"),
    [
        ({}, 1, (False, False, 3 * 3600)),  # waiting for the first response, 3 h left
        ({}, 5, (True, False, -3600)),  # first response one hour late: negative
        ({"first_responded_at": datetime(2025, 1, 1, 2, tzinfo=UTC)}, 5, (False, False, 19 * 3600)),  # now toward resolution
        ({"first_responded_at": datetime(2025, 1, 1, 6, tzinfo=UTC)}, 7, (True, False, 17 * 3600)),  # answered late
        ({"first_responded_at": datetime(2025, 1, 1, 2, tzinfo=UTC)}, 30, (False, True, -6 * 3600)),  # resolution overdue
        ({"status": S.RESOLVED, "first_responded_at": datetime(2025, 1, 1, 2, tzinfo=UTC),
          "resolved_at": datetime(2025, 1, 1, 10, tzinfo=UTC)}, 30, (False, False, None)),  # met: null
        ({"status": S.CLOSED, "closed_at": datetime(2025, 1, 2, 6, tzinfo=UTC)}, 40, (True, True, None)),  # closed late
        ({"status": S.PENDING, "resolution_breached_at": datetime(2025, 1, 2, tzinfo=UTC),
          "first_responded_at": datetime(2025, 1, 1, 1, tzinfo=UTC)}, 2, (False, True, 22 * 3600)),  # a stamp stays
    ],
)
def test_sla_state(fields, hours_later, expected) -> None:
    row = _row(**fields)
    state = sla_state(row, row.created_at + timedelta(hours=hours_later))
    assert (state.first_response_breached, state.resolution_breached, state.remaining_seconds) == expected


def test_breaches_are_stamped_with_the_due_time_only_when_late() -> None:
    row = _row()
    assert breach_stamps(row, OPENED + timedelta(hours=3), responding=True) == {}
    assert breach_stamps(row, OPENED + timedelta(hours=5), responding=True) == {"first_response_breached_at": OPENED + timedelta(hours=4)}
    assert breach_stamps(row, OPENED + timedelta(hours=30), resolving=True) == {
        "resolution_breached_at": OPENED + timedelta(hours=24), "first_response_breached_at": OPENED + timedelta(hours=4),
    }
    answered = _row(first_responded_at=OPENED + timedelta(hours=1))
    assert breach_stamps(answered, OPENED + timedelta(hours=30), resolving=True) == {"resolution_breached_at": OPENED + timedelta(hours=24)}
