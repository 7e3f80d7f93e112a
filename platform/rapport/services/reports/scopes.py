"""Which rows a report may count for a viewer, and a signature of that for the cache.

Two conditions, both in SQL: the row is inside the viewer's read scope of its resource (exactly what
the lists show: ``row_filter`` for customers, ``ticket_scope`` for tickets, ``interaction_scope`` for
interactions), and inside the reach of the report's own rule (``report.<name>``, action ``read``; e.g.
the default ``dept`` rule of managers limits their reports to their departments even where another role
lets them read more). A report's rule reaches rows by department (a ticket's, an interaction's
customer's, a customer's) and, where only own rows are reached, the viewer's own rows (owned customers,
assigned tickets, interactions the viewer logged).
"""

from __future__ import annotations

import hashlib

from tortoise.expressions import Q, Subquery

from rapport.authz.model import ANY
from rapport.authz.plan import PermissionPlan
from rapport.authz.sql import department_ids, equal_q, row_filter
from rapport.models import Customer
from rapport.services.interactions import interaction_scope
from rapport.services.reports.dimensions import CUSTOMERS, INTERACTIONS, TICKETS, Source
from rapport.services.tickets import ticket_scope

READ = "read"
ROW_RESOURCES = ("customer", "ticket", "interaction")


def report_resource(name: str) -> str:
    return f"report.{name}"


async def _interactions_in_reach(plan: PermissionPlan, resource: str, action: str) -> Q | None:
    """Interactions whose customer's department the rule reaches, or that the viewer logged (own)."""
    scope = plan.row_scope(resource, action)
    if scope.all:
        return Q()

    def of_departments(ids: list[int]) -> Q:
        return Q(customer_id__in=Subquery(Customer.filter(department_id__in=ids).values("id")))

    parts: list[Q] = []
    if scope.departments and (ids := await department_ids(scope.departments)):
        parts.append(of_departments(ids))
    agent_id = plan.actor.agent_id
    if scope.own_in and agent_id is not None:
        if ANY in scope.own_in:
            parts.append(equal_q("agent_id", agent_id))
        elif ids := await department_ids(scope.own_in):
            parts.append(equal_q("agent_id", agent_id) & of_departments(ids))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


async def countable(plan: PermissionPlan, report: str, source: Source) -> Q | None:
    """The rows of ``source`` that ``report`` may count for ``plan``'s viewer, as a filter on that
    source's model (None = none)."""
    resource = report_resource(report)
    if source is TICKETS:
        rows = await ticket_scope(plan, READ)
        reach = await row_filter(plan, resource, READ, owner_field="assignee_id")
    elif source is INTERACTIONS:
        rows = await interaction_scope(plan, READ)
        reach = await _interactions_in_reach(plan, resource, READ)
    elif source is CUSTOMERS:
        rows = await row_filter(plan, "customer", READ)
        reach = await row_filter(plan, resource, READ)
    else:
        raise ValueError(f"unknown source {source.name}")
    if rows is None or reach is None:
        return None
    return rows & reach


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
