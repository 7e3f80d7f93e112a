"""Which rows a report may count for a viewer, and a signature of that for the cache.

Two conditions: the row is inside the viewer's read scope of its resource (exactly what the lists show:
``row_filter`` for customers, ``ticket_scope`` for tickets, ``interaction_scope`` for interactions), and
inside the reach of the report's own rule (``report.<name>``, action ``read``; e.g. the default ``dept``
rule of managers limits their reports to their departments even where another role lets them read
more). A report's rule reaches rows by department (a ticket's, an interaction's customer's, a
customer's) and, where only own rows are reached, the viewer's own rows (owned customers, assigned
tickets, interactions the viewer logged).

The lists wrap a ticket or an interaction in "its customer is live and readable" as a subquery over
customers; a report instead joins the row to its customer once and states every condition on that one
join (or, when the viewer reads every customer and the grouping needs no customer column, only asks
that the customer is not deleted). :class:`Countable` holds the reaches; :func:`condition` writes one
as SQL on the statement's aliases.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rapport.authz.plan import PermissionPlan
from rapport.authz.sql import RowReach, reach_q, row_reach
from rapport.services.reports.dimensions import CUSTOMERS, INTERACTIONS, TICKETS, Source
from rapport.services.reports.statement import Statement

READ = "read"
ROW_RESOURCES = ("customer", "ticket", "interaction")
_ROW_RESOURCE = {TICKETS.name: "ticket", INTERACTIONS.name: "interaction", CUSTOMERS.name: "customer"}


def report_resource(name: str) -> str:
    return f"report.{name}"


@dataclass(frozen=True)
class Countable:
    """What a report counts: rows inside every reach of ``rows`` (read on the row's resource, read on the
    report; on the source's department and owner columns) whose customer is live and inside ``customers``
    (read on customers, on the customer ``c``)."""

    rows: tuple[RowReach, ...]
    customers: RowReach


def condition(st: Statement, reach: RowReach, department: str, owner: str) -> str | None:
    """``reach`` as SQL on these columns: None when it holds on every row. Two-valued like ``reach_q``
    (``col IS NOT NULL AND ...``), so no NULL column makes a privacy predicate unknown."""
    if reach.all:
        return None

    def within(column: str, ids: tuple[int, ...]) -> str:
        return f"({column} IS NOT NULL AND {column} IN ({', '.join(st.value(i) for i in ids)}))"

    def mine() -> str:
        return f"({owner} IS NOT NULL AND {owner} = {st.value(reach.owner)})"

    parts: list[str] = []
    if reach.departments:
        parts.append(within(department, reach.departments))
    if reach.owner is not None:
        if reach.own_anywhere:
            parts.append(mine())
        elif reach.own_departments:
            parts.append(f"({mine()} AND {within(department, reach.own_departments)})")
    # countable() returns None for a reach without parts: such a report counts nothing and runs no SQL.
    return "(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"


async def countable(plan: PermissionPlan, report: str, source: Source) -> Countable | None:
    """The rows of ``source`` that ``report`` may count for ``plan``'s viewer (None = none)."""
    if source.name not in _ROW_RESOURCE:
        raise ValueError(f"unknown source {source.name}")
    reaches = (await row_reach(plan, _ROW_RESOURCE[source.name], READ), await row_reach(plan, report_resource(report), READ))
    customers = await row_reach(plan, "customer", READ)
    if any(reach_q(reach) is None for reach in (*reaches, customers)):
        return None
    return Countable(reaches, customers)


def signature(plan: PermissionPlan, report: str) -> str:
    """What decides the rows ``report`` counts for this viewer: the row scopes involved (and the viewer's
    agent id when own rows count). Viewers with equal signatures see equal numbers, and share a cache."""
    parts = []
    owns = False
    for resource in (*ROW_RESOURCES, report_resource(report)):
        scope = plan.row_scope(resource, READ)
        owns = owns or bool(scope.own_in)
        parts.append(f"{resource}:{int(scope.all)}:{','.join(sorted(scope.departments))}:{','.join(sorted(scope.own_in))}")
    if owns:
        parts.append(f"agent:{plan.actor.agent_id}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
