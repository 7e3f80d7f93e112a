"""Permission plans: what one actor may do, worked out once per (actor, policy version).

A request asks its plan, never casbin: ``plan.allows("customer", "create", "sales")``,
``plan.row_scope("customer")`` (turned into SQL by :mod:`rapport.authz.sql`) and, per row and field,
``plan.field_mode("customer.email", "sales", row_is_own)``. The plan asks the enforcer for each
(department it acts in, resource, action, scope) the first time that pair is needed and keeps the
answer; plans are cached in the engine, so after the first request of an actor a question is a dict
lookup. ``materialize()`` answers every known pair up front.

Departments a plan acts in: those of the actor's role grants (``*`` included), plus the departments
named by rules written for the actor's own subject. In each, the actor acts as its subject, the roles
granted there or in ``*``, and the roles those inherit; a deny from any of them overrides every allow
in that department (casbin's deny-overrides over one request).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from casbin.util.builtin_operators import key_match

from rapport.authz.model import (
    ACTIONS,
    ALL,
    ANY,
    DEPT,
    OWN,
    PII_FIELDS,
    READ,
    READ_MASKED,
    RESOURCES,
    ROW_RESOURCES,
    row_resource_of,
)

if TYPE_CHECKING:
    from rapport.auth.actor import Actor
    from rapport.authz.enforcer import CompiledPolicy

FieldMode = Literal["full", "masked", "hidden"]


@dataclass(frozen=True)
class RowScope:
    """Which rows of a resource an actor reaches."""

    all: bool = False
    departments: frozenset[str] = frozenset()  # department codes whose rows are all visible
    own_in: frozenset[str] = frozenset()  # codes where only own rows are visible ("*" = any department)

    @property
    def empty(self) -> bool:
        return not self.all and not self.departments and not self.own_in

    def covers(self, department: str, is_own: bool) -> bool:
        """Whether a row of ``department`` (owned by the actor or not) is reached."""
        if self.all or department in self.departments:
            return True
        return is_own and (ANY in self.own_in or department in self.own_in)


NOTHING = RowScope()


@dataclass(frozen=True)
class Reach:
    """How far an (resource, action) pair reaches from each department the actor acts in."""

    scopes: dict[str, str] = field(default_factory=dict)  # department (or "*") -> widest allowed scope
    denied: bool = False  # an explicit deny matched in some department

    def row_scope(self) -> RowScope:
        if any(scope == ALL or (scope == DEPT and dom == ANY) for dom, scope in self.scopes.items()):
            return RowScope(all=True)
        departments = frozenset(dom for dom, scope in self.scopes.items() if scope == DEPT)
        own_in = frozenset(dom for dom, scope in self.scopes.items() if scope == OWN and dom not in departments)
        if ANY in own_in:
            own_in = frozenset({ANY})
        return RowScope(departments=departments, own_in=own_in)

    def in_department(self, department: str) -> bool:
        return any(scope == ALL or dom in (department, ANY) for dom, scope in self.scopes.items())


class PermissionPlan:
    """What ``actor`` may do under one build of the policy."""

    def __init__(self, actor: Actor, compiled: CompiledPolicy) -> None:
        self.actor = actor
        self.compiled = compiled
        self.version = compiled.version
        self.subjects = self._subjects_by_department(actor, compiled)
        self._reaches: dict[tuple[str, str], Reach] = {}
        self._row_scopes: dict[tuple[str, str], RowScope] = {}
        self._field_modes: dict[tuple[str, str, bool], FieldMode] = {}

    @staticmethod
    def _subjects_by_department(actor: Actor, compiled: CompiledPolicy) -> dict[str, list[str]]:
        departments = [grant.department for grant in actor.grants]
        departments += [rule.department for rule in compiled.rules_of(actor.subject)]
        result: dict[str, list[str]] = {}
        for dom in dict.fromkeys(departments):  # de-duplicated, in order
            roles = [f"role:{grant.role}" for grant in actor.grants if key_match(dom, grant.department)]
            result[dom] = compiled.subjects_for(actor.subject, dom, roles)
        return result

    # --- the questions -----------------------------------------------------------------------------------

    def reach(self, resource: str, action: str) -> Reach:
        key = (resource, action)
        found = self._reaches.get(key)
        if found is None:
            found = self._reaches[key] = self._compute(resource, action)
        return found

    def allows(self, resource: str, action: str, department: str | None = None) -> bool:
        """Whether the actor may do ``action`` on ``resource`` at any scope (in ``department`` when given)."""
        reach = self.reach(resource, action)
        return bool(reach.scopes) if department is None else reach.in_department(department)

    def row_scope(self, resource: str, action: str = READ) -> RowScope:
        """The rows of ``resource`` the actor may ``action``."""
        key = (resource, action)
        found = self._row_scopes.get(key)
        if found is None:
            found = self._row_scopes[key] = self.reach(resource, action).row_scope()
        return found

    def field_mode(self, field_resource: str, row_department: str, row_is_own: bool) -> FieldMode:
        """How the actor sees one field (``customer.email``) of a row: in full, masked, or not at all.

        The row must be readable. A field with a read rule is shown in full, with read_masked masked.
        Fields of a field group (the PII fields) are hidden unless a rule grants them; other fields
        follow the row's read permission unless a rule denies them."""
        key = (field_resource, row_department, row_is_own)
        found = self._field_modes.get(key)
        if found is None:
            found = self._field_modes[key] = self._field_mode(field_resource, row_department, row_is_own)
        return found

    def _field_mode(self, field_resource: str, department: str, is_own: bool) -> FieldMode:
        row = row_resource_of(field_resource)
        if row is None:
            raise ValueError(f"{field_resource!r} is not a field resource such as customer.email")
        if not self.row_scope(row, READ).covers(department, is_own):
            return "hidden"
        if self.row_scope(field_resource, READ).covers(department, is_own):
            return "full"
        if self.row_scope(field_resource, READ_MASKED).covers(department, is_own):
            return "masked"
        if self.is_governed(field_resource) or self.reach(field_resource, READ).denied:
            return "hidden"
        return "full"

    def is_governed(self, field_resource: str) -> bool:
        """Fields of a field group (and the PII fields) are visible only when a rule grants them."""
        return field_resource in PII_FIELDS or field_resource in self.compiled.group_members or field_resource in _pii_custom_fields()

    # --- building ----------------------------------------------------------------------------------------

    def _compute(self, resource: str, action: str) -> Reach:
        decide = self.compiled.decide
        scopes: dict[str, str] = {}
        denied = False
        for dom, subjects in self.subjects.items():
            narrowest = decide(subjects, dom, resource, action, OWN)
            if narrowest.denied:
                denied = True
            if not narrowest.allowed:  # every allow rule covers own: nothing wider can be allowed
                continue
            widest = decide(subjects, dom, resource, action, ALL)
            if widest.allowed:
                scopes[dom] = ALL
            elif decide(subjects, dom, resource, action, DEPT).allowed:
                scopes[dom] = DEPT
            else:
                scopes[dom] = OWN
        return Reach(scopes, denied)

    def materialize(self, resources: Iterable[str] = RESOURCES, actions: Iterable[str] = ACTIONS) -> PermissionPlan:
        """Answer every (resource, action) pair now (benchmarks; a warm cache)."""
        actions = tuple(actions)
        for resource in resources:
            for action in actions:
                self.reach(resource, action)
        return self

    def summary(self) -> dict[str, dict[str, str]]:
        """resource -> action -> reach, for the known row resources (debugging, explainAccess)."""
        out: dict[str, dict[str, str]] = {}
        for resource in ROW_RESOURCES:
            for action in ACTIONS:
                scope = self.row_scope(resource, action)
                if not scope.empty:
                    out.setdefault(resource, {})[action] = _describe(scope)
        return out


def _pii_custom_fields() -> frozenset[str]:
    """``customer.<name>`` of the active plugins' PII custom fields: hidden unless a rule grants them, even
    before their ``customer.pii`` group membership is in the stored policy."""
    from rapport.plugins import active

    return active().fields.pii_resources


def _describe(scope: RowScope) -> str:
    if scope.all:
        return "all"
    parts = sorted(scope.departments) + [f"own@{dom}" for dom in sorted(scope.own_in)]
    return ",".join(parts)


async def plan_for(actor: Actor) -> PermissionPlan:
    """The plan of ``actor`` under the process-wide engine's current policy (cached)."""
    from rapport.authz.enforcer import get_engine

    return await get_engine().plan_for(actor)
