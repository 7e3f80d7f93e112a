"""A permission plan's row scope as a tortoise filter, so the database returns only visible rows.

    condition = await row_filter(plan, "customer")
    rows = [] if condition is None else await Customer.filter(condition, deleted_at=None)

Department codes are mapped to ids with one query on ``departments``, kept in-process (a code's id
never changes while the row exists). The map is refreshed when a code is missing from it, when a
department is saved or deleted through the ORM, after ``CACHE_SECONDS``, or by ``forget_departments()``
(tests that empty the tables call it: a truncated table can give a code another id).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from tortoise.expressions import Q
from tortoise.signals import post_delete, post_save

from rapport.authz.model import ANY
from rapport.authz.plan import PermissionPlan
from rapport.models import Department

CACHE_SECONDS = 60.0
_MISS_RETRY_SECONDS = 1.0


class _DepartmentIds:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.loaded_at: float | None = None

    def forget(self) -> None:
        self.ids = {}
        self.loaded_at = None

    async def lookup(self, codes: Iterable[str]) -> list[int]:
        wanted = sorted(set(codes))
        now = time.monotonic()
        stale = self.loaded_at is None or now - self.loaded_at >= CACHE_SECONDS
        missing = any(code not in self.ids for code in wanted)
        if stale or (missing and now - (self.loaded_at or 0.0) >= _MISS_RETRY_SECONDS):
            rows = await Department.all().values_list("code", "id")
            self.ids = {code: id_ for code, id_ in rows}
            self.loaded_at = now
        return [self.ids[code] for code in wanted if code in self.ids]


_departments = _DepartmentIds()


def forget_departments() -> None:
    """Drop the cached code -> id map (the next filter reads it again)."""
    _departments.forget()


async def department_ids(codes: Iterable[str]) -> list[int]:
    """Ids of the departments with these codes (unknown codes are left out)."""
    return await _departments.lookup(codes)


@post_save(Department)
async def _department_saved(*args: object, **kwargs: object) -> None:
    forget_departments()


@post_delete(Department)
async def _department_deleted(*args: object, **kwargs: object) -> None:
    forget_departments()


async def row_filter(
    plan: PermissionPlan,
    resource: str,
    action: str = "read",
    *,
    department_field: str = "department_id",
    owner_field: str = "owner_id",
) -> Q | None:
    """The rows of ``resource`` that ``plan``'s actor may ``action``, as a ``Q`` (None = no row).

    ``Q()`` = every row; otherwise the rows of whole departments OR the actor's own rows (``owner_field``
    equal to the actor's agent id) in the departments where only own rows are reached. Use
    ``owner_field="assignee_id"`` for tickets and ``"agent_id"`` for interactions. An API key owns no
    rows."""
    scope = plan.row_scope(resource, action)
    if scope.all:
        return Q()
    parts: list[Q] = []
    if scope.departments:
        ids = await department_ids(scope.departments)
        if ids:
            parts.append(Q(**{f"{department_field}__in": ids}))
    agent_id = plan.actor.agent_id
    if scope.own_in and agent_id is not None:
        mine = Q(**{owner_field: agent_id})
        if ANY in scope.own_in:
            parts.append(mine)
        else:
            ids = await department_ids(scope.own_in)
            if ids:
                parts.append(mine & Q(**{f"{department_field}__in": ids}))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition = condition | part
    return condition
