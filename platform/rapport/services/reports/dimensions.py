"""What a report can be grouped by, on each kind of row it counts, and how a group is named.

Each source (tickets ``t``, interactions ``i``, customers ``c``; tickets and interactions are joined to
their customer ``c``) says which column a dimension reads. A group's ``key`` is stable and machine
readable (department code, agent global id, enum name, ``2024-01``); its ``label`` is for people.
Rows come back in a fixed order: departments and enums in their natural order, agents and categories
by name, months in time order, "none" last.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rapport.models import CustomerSegment, CustomerTier, InteractionChannel, TicketPriority
from rapport.services.reports.statement import Statement

NONE_KEY = "none"
ALL_KEY = "all"


class Dimension(Enum):
    DEPARTMENT = "department"
    AGENT = "agent"
    SEGMENT = "segment"
    TIER = "tier"
    CATEGORY = "category"
    PRIORITY = "priority"
    CHANNEL = "channel"
    MONTH = "month"

    @classmethod
    def parse(cls, text: str) -> Dimension:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(d.name for d in cls)
            raise ValueError(f"{text!r} is not a dimension ({names})") from None


_ENUMS: dict[Dimension, type[Enum]] = {
    Dimension.SEGMENT: CustomerSegment, Dimension.TIER: CustomerTier,
    Dimension.PRIORITY: TicketPriority, Dimension.CHANNEL: InteractionChannel,
}


@dataclass(frozen=True)
class Source:
    """A kind of counted row: its alias, and the column each dimension reads on it."""

    name: str
    alias: str
    columns: dict[Dimension, str]  # MONTH maps to the timestamp the month is taken from
    department: str  # the department a rule reaches the row by
    owner: str  # whose own row it is (own-scoped rules)
    agent_label: str  # what the AGENT dimension means here, for "none" rows


TICKETS = Source("tickets", "t", {
    Dimension.DEPARTMENT: "t.department_id", Dimension.AGENT: "t.assignee_id", Dimension.SEGMENT: "c.segment",
    Dimension.TIER: "c.tier", Dimension.CATEGORY: "t.category", Dimension.PRIORITY: "t.priority",
    Dimension.MONTH: "t.created_at",
}, department="t.department_id", owner="t.assignee_id", agent_label="Unassigned")
INTERACTIONS = Source("interactions", "i", {
    Dimension.DEPARTMENT: "c.department_id", Dimension.AGENT: "i.agent_id", Dimension.SEGMENT: "c.segment",
    Dimension.TIER: "c.tier", Dimension.CHANNEL: "i.channel", Dimension.MONTH: "i.occurred_at",
}, department="c.department_id", owner="i.agent_id", agent_label="No agent")
CUSTOMERS = Source("customers", "c", {
    Dimension.DEPARTMENT: "c.department_id", Dimension.AGENT: "c.owner_id", Dimension.SEGMENT: "c.segment",
    Dimension.TIER: "c.tier", Dimension.MONTH: "c.created_at",
}, department="c.department_id", owner="c.owner_id", agent_label="No owner")


@dataclass(frozen=True)
class Grouping:
    """The SQL of one grouping: ``select`` (ends with a comma, or empty), ``joins``, ``group_by``;
    the selected columns are ``g0`` (the group's value) and, for departments and agents, names."""

    dimension: Dimension | None
    source: Source
    select: str = ""
    joins: str = ""
    columns: Sequence[str] = field(default_factory=tuple)  # the aliases selected, for outer queries

    @property
    def reads_customer(self) -> bool:
        """Whether the grouped value is a column of the customer ``c``."""
        return self.dimension is not None and self.source.columns[self.dimension].startswith("c.")

    @property
    def group_by(self) -> str:
        return f"GROUP BY {', '.join(self.columns)}" if self.columns else ""

    def partition(self, alias: str) -> str:
        return f"PARTITION BY {alias}.g0" if self.columns else ""

    def outer_select(self, alias: str) -> str:
        return "".join(f"{alias}.{c} AS {c}, " for c in self.columns)

    def outer_group_by(self, alias: str) -> str:
        return f"GROUP BY {', '.join(f'{alias}.{c}' for c in self.columns)}" if self.columns else ""


def grouping(st: Statement, source: Source, dimension: Dimension | None, value: str | None = None) -> Grouping:
    """How ``source`` groups by ``dimension`` (``value`` overrides the grouped expression: month buckets)."""
    if dimension is None:
        return Grouping(None, source)
    column = source.columns[dimension]
    if value is None:
        value = st.month(column) if dimension == Dimension.MONTH else column
    if dimension == Dimension.DEPARTMENT:
        return Grouping(dimension, source, f"{value} AS g0, rd.code AS g1, rd.name AS g2, ",
                        f"LEFT JOIN departments rd ON rd.id = {value}", ("g0", "g1", "g2"))
    if dimension == Dimension.AGENT:
        return Grouping(dimension, source, f"{value} AS g0, ra.name AS g1, ",
                        f"LEFT JOIN agents ra ON ra.id = {value}", ("g0", "g1"))
    return Grouping(dimension, source, f"{value} AS g0, ", "", ("g0",))


def agent_key(agent_id: int) -> str:
    """The agent's global id in the API (relay: base64 of "Agent:<id>"), so a key can be passed back."""
    return base64.b64encode(f"Agent:{agent_id}".encode()).decode()


def name_group(grouping: Grouping, row: dict[str, Any]) -> tuple[str, str, tuple[Any, ...]]:
    """``(key, label, sort key)`` of a result row of ``grouping``."""
    dimension = grouping.dimension
    if dimension is None:
        return ALL_KEY, "All", ()
    raw = row["g0"]
    if raw is None:
        label = grouping.source.agent_label if dimension == Dimension.AGENT else "(none)"
        return NONE_KEY, label, (1,)
    if dimension == Dimension.DEPARTMENT:
        return str(row["g1"]), str(row["g2"]), (0, int(raw))
    if dimension == Dimension.AGENT:
        return agent_key(int(raw)), str(row["g1"]), (0, str(row["g1"]).casefold(), int(raw))
    if dimension in _ENUMS:
        members = list(_ENUMS[dimension])
        member = _ENUMS[dimension](raw)
        return member.name, member.value.capitalize(), (0, members.index(member))
    return str(raw), str(raw), (0, str(raw))  # CATEGORY, MONTH
