"""Rows whose field a viewer may read in full, for filters and sorts on personal fields.

A condition on a field the viewer sees masked or null must not depend on the hidden value. Filters
AND the condition with ``ReadableRows.q`` (two-valued, so ``NOT`` and ``OR`` keep it false on such
rows); SQL expressions go through ``ReadableRows.guard`` so a hidden value is never even evaluated
(no cast error, no sort position):

    rows = await readable_rows(plan, "customer.nickname")
    Q(nickname="Ann") & rows.q                       -> false where the nickname is not readable
    rows.guard('json_extract("custom", \'$.nickname\')')  -> NULL there
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from rapport.authz.plan import PermissionPlan
from rapport.authz.sql import RowReach, reach_q, row_reach


@dataclass(frozen=True)
class ReadableRows:
    """The rows (of the list being read) whose field the viewer may read in full."""

    q: Q
    sql: str

    def guard(self, expression: str) -> str:
        """``expression`` on readable rows, NULL on the others."""
        return f"CASE WHEN {self.sql} THEN {expression} END"


def nothing_readable() -> ReadableRows:
    """No row (a fresh ``Q`` each time: tortoise's ``Q.negate()`` mutates in place)."""
    return ReadableRows(Q(id__in=[]), "1=0")  # tortoise renders the empty IN as 1=0


def _equal_sql(column: str, value: int) -> str:
    return f'("{column}" IS NOT NULL AND "{column}" = {int(value)})'


def _within_sql(column: str, ids: tuple[int, ...]) -> str:
    return f'("{column}" IS NOT NULL AND "{column}" IN ({", ".join(str(int(i)) for i in ids)}))'


def reach_sql(reach: RowReach, department_field: str = "department_id", owner_field: str = "owner_id") -> str:
    """``reach`` as a two-valued SQL condition on unqualified columns (ids are integers, inlined)."""
    if reach.all:
        return "1=1"
    parts = []
    if reach.departments:
        parts.append(_within_sql(department_field, reach.departments))
    if reach.owner is not None:
        if reach.own_anywhere:
            parts.append(_equal_sql(owner_field, reach.owner))
        elif reach.own_departments:
            parts.append(f"({_equal_sql(owner_field, reach.owner)} AND {_within_sql(department_field, reach.own_departments)})")
    return f"({' OR '.join(parts)})" if parts else "1=0"


async def readable_rows(plan: PermissionPlan, field_resource: str) -> ReadableRows:
    """The rows whose ``field_resource`` (``customer.email``) ``plan``'s viewer may read in full."""
    reach = await row_reach(plan, field_resource, "read")
    q = reach_q(reach)
    return nothing_readable() if q is None else ReadableRows(q, reach_sql(reach))
