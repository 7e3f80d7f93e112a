"""Normalise the input of a logged interaction with the data-entry standards, reporting every problem."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from rapport.models import InteractionChannel, InteractionDirection
from rapport.custom_fields.values import normalize_custom
from rapport.services import data_entry as de
from rapport.services.errors import ErrorCode, ProblemCollector

# Clocks disagree a little; an interaction further ahead than this has not happened yet.
FUTURE_TOLERANCE = timedelta(minutes=5)
DURATION_MAX = 7 * 86_400  # a week: anything longer is a typo (minutes or milliseconds for seconds)

# Input keys (the API's names) that describe the interaction; idempotencyKey only guards the call.
INPUT_KEYS = ("customer", "channel", "direction", "subject", "body", "occurredAt", "ticket", "durationSeconds", "custom")


def _enum(problems: ProblemCollector, enum: type[StrEnum], value: Any, name: str) -> Any:
    """An enum member from a member, its value ("call") or its name ("CALL")."""
    if value is None:
        problems.add(ErrorCode.REQUIRED, f"{name} is required", "input", name)
        return None
    try:
        return enum(value)
    except ValueError:
        member = enum.__members__.get(str(value).upper())
        if member is None:
            allowed = ", ".join(enum.__members__)
            problems.add(ErrorCode.INVALID, f"{name} must be one of {allowed}", "input", name)
        return member


def _id(problems: ProblemCollector, value: Any, name: str, required: bool) -> int | None:
    if value is None:
        if required:
            problems.add(ErrorCode.REQUIRED, f"{name} is required", "input", name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        problems.add(ErrorCode.INVALID, f"{name} is not a valid id", "input", name)
        return None
    return value


def _occurred_at(problems: ProblemCollector, value: Any, now: datetime) -> datetime | None:
    if value is None:
        return None  # the caller stamps "now" when writing, so a retried call hashes the same
    if not isinstance(value, datetime):
        problems.add(ErrorCode.INVALID, "occurredAt must be a date and time", "input", "occurredAt")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive time means a different instant on every server: refuse rather than guess.
        problems.add(ErrorCode.INVALID, "occurredAt must include a time zone offset", "input", "occurredAt")
        return None
    if value > now + FUTURE_TOLERANCE:
        problems.add(ErrorCode.INVALID, "occurredAt must not be in the future", "input", "occurredAt")
        return None
    return value.astimezone(UTC)


def _duration(problems: ProblemCollector, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= DURATION_MAX:
        problems.add(ErrorCode.INVALID, f"durationSeconds must be between 0 and {DURATION_MAX}", "input", "durationSeconds")
        return None
    return value


def normalize_interaction_fields(data: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Model column values of a new interaction (``occurred_at`` None when not given).

    ``data`` uses the API's input names; ``customer`` and ``ticket`` are database ids.
    """
    now = now or datetime.now(UTC)
    problems = ProblemCollector()
    out: dict[str, Any] = {
        "customer_id": _id(problems, data.get("customer"), "customer", required=True),
        "channel": _enum(problems, InteractionChannel, data.get("channel"), "channel"),
        "direction": _enum(problems, InteractionDirection, data.get("direction"), "direction"),
        "subject": de.collect(problems, de.normalize_subject, data.get("subject"), ("input", "subject")),
        "body": de.collect(problems, de.normalize_body, data.get("body"), ("input", "body")),
        "occurred_at": _occurred_at(problems, data.get("occurredAt"), now),
        "duration_seconds": _duration(problems, data.get("durationSeconds")),
        "ticket_id": _id(problems, data.get("ticket"), "ticket", required=False),
    }
    out["custom"] = normalize_custom("interaction", data.get("custom"), problems, creating=True)  # typed by the plugins
    problems.raise_if_any()
    return out
