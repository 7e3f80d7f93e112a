"""Values only Python can compute, filled in by the post-pass: the business-time SLA fields.

The statement sends the row's SLA columns under the hidden key ``#s`` (in ``SLA_COLUMNS`` order); the
first computed field of a row works out the state once (``sla_state``, as the resolvers do, against the
request's one "now"), and each field takes its value. Another computed field joins by adding a name here
and its columns to its type's declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from rapport.mapping.declarations import SLA_COLUMNS
from rapport.services.sla_policies import calendar_named
from rapport.services.ticket_sla import sla_state

_STATE = "#state"


def _ticket(raw: list[Any]) -> SimpleNamespace:
    values = dict(zip(SLA_COLUMNS, raw, strict=True))
    for name, value in values.items():
        if name.endswith("_at") and isinstance(value, str):
            values[name] = datetime.fromisoformat(value)
    return SimpleNamespace(**values)


def _state(row: dict[str, Any], run: Any) -> tuple[Any, Any]:
    found = row.get(_STATE)
    if found is None:
        ticket = _ticket(row["#s"])
        calendar = calendar_named(ticket.sla_policy, run.codes.get(ticket.department_id, ""))
        found = row[_STATE] = (sla_state(ticket, run.now, calendar), calendar)
    return found


def computed_field(name: str, key: str) -> Callable[[dict[str, Any], Any], None]:
    def fill(row: dict[str, Any], run: Any) -> None:
        state, calendar = _state(row, run)
        if name == "firstResponseBreached":
            row[key] = state.first_response_breached
        elif name == "resolutionBreached":
            row[key] = state.resolution_breached
        elif name == "remainingSeconds":
            row[key] = state.remaining_seconds
        elif name == "calendar":
            row[key] = calendar.name
        else:  # pragma: no cover - the declarations name only these
            raise KeyError(name)

    return fill
