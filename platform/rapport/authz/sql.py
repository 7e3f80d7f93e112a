"""A permission plan's row scope as a tortoise filter, so the database returns only visible rows.

    condition = await row_filter(plan, "customer")
    rows = [] if condition is None else await Customer.filter(condition, deleted_at=None)

Department codes are mapped to ids (and ids to codes, for the GraphQL reads) with one query on
``departments``, kept in-process (a code's id never changes while the row exists). The map is refreshed
when a code is missing from it, when a department is saved or deleted through the ORM, whenever the
policy version moves (the engine's reload calls ``forget_departments()``), after ``CACHE_SECONDS``, or by
``forget_departments()`` (tests that empty the tables call it: a truncated table can give a code another
id).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

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
        self.codes: dict[int, str] = {}
        self.loaded_at: float | None = None
        self.generation = 0  # moves whenever the map may have changed (compiled statements inline the ids)

    def forget(self) -> None:
        self.ids = {}
        self.codes = {}
        self.loaded_at = None
        self.generation += 1

    async def _load(self, now: float) -> None:
        rows = await Department.all().values_list("code", "id")
        self.ids = {code: id_ for code, id_ in rows}
        codes = {id_: code for code, id_ in rows}
        if codes != self.codes:
            self.generation += 1
        self.codes = codes
        self.loaded_at = now

    async def lookup(self, codes: Iterable[str]) -> list[int]:
        wanted = sorted(set(codes))
        now = time.monotonic()
        stale = self.loaded_at is None or now - self.loaded_at >= CACHE_SECONDS
        missing = any(code not in self.ids for code in wanted)
        if stale or (missing and now - (self.loaded_at or 0.0) >= _MISS_RETRY_SECONDS):
            await self._load(now)
        return [self.ids[code] for code in wanted if code in self.ids]

    async def all_codes(self) -> dict[int, str]:
        now = time.monotonic()
        if self.loaded_at is None or now - self.loaded_at >= CACHE_SECONDS:
            await self._load(now)
        return self.codes


_departments = _DepartmentIds()


def forget_departments() -> None:
    """Drop the cached code -> id map (the next filter reads it again)."""
    _departments.forget()


async def department_ids(codes: Iterable[str]) -> list[int]:
    """Ids of the departments with these codes (unknown codes are left out)."""
    return await _departments.lookup(codes)


def departments_generation() -> int:
    """A number that changes whenever the code <-> id map may have: part of every compiled statement's key."""
    return _departments.generation


async def department_codes_by_id() -> dict[int, str]:
    """Every department's code by id, from the same cache (do not modify the returned map)."""
    return await _departments.all_codes()


@post_save(Department)
async def _department_saved(*args: object, **kwargs: object) -> None:
    forget_departments()


@post_delete(Department)
async def _department_deleted(*args: object, **kwargs: object) -> None:
    forget_departments()


@dataclass(frozen=True)
class RowReach:
    """A row scope with department codes turned into ids: every row, whole departments, or the actor's
    own rows (anywhere, or in some departments)."""

    all: bool = False
    departments: tuple[int, ...] = ()
    owner: int | None = None  # the actor's agent id, when own rows are reached
    own_anywhere: bool = False
    own_departments: tuple[int, ...] = ()



async def row_reach(plan: PermissionPlan, resource: str, action: str = "read") -> RowReach:
    """The rows of ``resource`` that ``plan``'s actor may ``action`` (an API key owns no rows)."""
    scope = plan.row_scope(resource, action)
    if scope.all:
        return RowReach(all=True)
    departments = tuple(await department_ids(scope.departments)) if scope.departments else ()
    agent_id = plan.actor.agent_id
    if not scope.own_in or agent_id is None:
        return RowReach(departments=departments)
    if ANY in scope.own_in:
        return RowReach(departments=departments, owner=agent_id, own_anywhere=True)
    return RowReach(departments=departments, owner=agent_id, own_departments=tuple(await department_ids(scope.own_in)))


# Privacy predicates are two-valued: ``owner_id = 7`` is NULL on an unowned row, and ``NOT (x AND NULL)``
# would then depend on ``x`` (a hidden value) where ``NOT (x AND FALSE)`` does not. Hence IS NOT NULL first.
def equal_q(column: str, value: int) -> Q:
    """``column = value``, false (never NULL) where the column is NULL."""
    return Q(**{f"{column}__isnull": False}) & Q(**{column: value})


def within_q(column: str, ids: tuple[int, ...] | list[int]) -> Q:
    """``column IN ids``, false (never NULL) where the column is NULL."""
    return Q(**{f"{column}__isnull": False}) & Q(**{f"{column}__in": list(ids)})


def reach_q(reach: RowReach, department_field: str = "department_id", owner_field: str = "owner_id") -> Q | None:
    """``reach`` as a two-valued ``Q`` (None = no row; ``Q()`` = every row)."""
    if reach.all:
        return Q()
    parts: list[Q] = []
    if reach.departments:
        parts.append(within_q(department_field, reach.departments))
    if reach.owner is not None:
        if reach.own_anywhere:
            parts.append(equal_q(owner_field, reach.owner))
        elif reach.own_departments:
            parts.append(equal_q(owner_field, reach.owner) & within_q(department_field, reach.own_departments))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition = condition | part
    return condition


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
    rows. The condition is never NULL on any row, so it stays exact under ``NOT``."""
    return reach_q(await row_reach(plan, resource, action), department_field, owner_field)
