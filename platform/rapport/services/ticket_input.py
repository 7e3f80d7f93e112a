"""Normalise a ticket's input (open or update) with the data-entry standards, reporting every problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.models import TicketActivityKind, TicketPriority
from rapport.custom_fields.values import normalize_custom
from rapport.services import data_entry as de
from rapport.services.errors import ErrorCode, ProblemCollector

CATEGORY_MAX = 100  # the column's length
MINUTES_MAX = 24 * 60  # one work log covers at most a day
SATISFACTION = range(1, 6)
CLIENT_ACTIVITY_KINDS = frozenset({TicketActivityKind.COMMENT, TicketActivityKind.WORK_LOG})


def normalize_ticket_fields(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Model column values for the keys present in ``data`` (an update changes only those).

    A null priority on update means "unchanged" (the column is never empty); null clears the other
    optional fields.
    """
    problems = ProblemCollector()
    out: dict[str, Any] = {}
    path = ("input",)
    if creating or "subject" in data:
        out["subject"] = de.collect(problems, de.normalize_subject, data.get("subject"), (*path, "subject"))
    if "description" in data:
        out["description"] = de.collect(problems, de.normalize_body, data["description"], (*path, "description"))
    if "category" in data:
        out["category"] = de.collect(problems, de.normalize_optional_text, data["category"], (*path, "category"), CATEGORY_MAX)
    if "tags" in data:
        out["tags"] = de.collect(problems, de.normalize_tags, data["tags"] or [], (*path, "tags"))
    if creating or "custom" in data:  # typed by the plugins' definitions (update: the change, merged later)
        out["custom"] = normalize_custom("ticket", data.get("custom"), problems, creating=creating, path=path)
    if data.get("priority") is not None:
        out["priority"] = TicketPriority(data["priority"])
    elif creating:
        out["priority"] = TicketPriority.NORMAL
    problems.raise_if_any()
    return out


def normalize_activity(kind: TicketActivityKind | str, note: str | None, minutes_spent: int | None) -> tuple[TicketActivityKind, str, int | None]:
    """What a client may add to a ticket's record: a COMMENT or a WORK_LOG, with a note."""
    problems = ProblemCollector()
    kind = TicketActivityKind(kind)
    if kind not in CLIENT_ACTIVITY_KINDS:
        problems.add(ErrorCode.INVALID, f"kind must be COMMENT or WORK_LOG ({kind.name} is recorded by Rapport itself)", "kind")
    text = de.collect(problems, de.normalize_body, note, ("note",))
    if text is None and not any(p.path == ("note",) for p in problems.problems):
        problems.add(ErrorCode.REQUIRED, "note is required", "note")
    if minutes_spent is not None and not 0 <= minutes_spent <= MINUTES_MAX:
        problems.add(ErrorCode.INVALID, f"minutesSpent must be between 0 and {MINUTES_MAX}", "minutesSpent")
    problems.raise_if_any()
    return kind, text or "", minutes_spent


def normalize_rating(satisfaction: int, comment: str | None) -> tuple[int, str | None]:
    problems = ProblemCollector()
    if satisfaction not in SATISFACTION:
        problems.add(ErrorCode.INVALID, "satisfaction must be between 1 and 5", "satisfaction")
    text = de.collect(problems, de.normalize_body, comment, ("comment",))
    problems.raise_if_any()
    return satisfaction, text

