"""Separation of duties: a policy change must not widen its author's own effective permissions.

Decided by comparison, never by reading subject names: the author's permission plan is built on the
policy as it is and on the policy as the change would leave it, and both are asked the same questions,
the questions requests ask. For every resource and action, in every department and for rows the
author owns or not: is the row reached? For every field, in every department, own or not: is it
shown in full, masked, or hidden? A change that reaches anywhere further, or shows any field more
fully, widens; whether it does so directly, through a role the author holds, through a role that
role inherits, or by removing a deny makes no difference to the comparison.

Departments asked about: every department either policy or the author's grants name, and one that
none of them names (it stands for all the others: only ``*`` rules reach it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from rapport.auth.actor import Actor, RoleGrant
from rapport.authz.enforcer import CompiledPolicy
from rapport.authz.model import ACTIONS, ANY, RESOURCES, field_resources, is_pattern, row_resource_of
from rapport.authz.plan import FieldMode, PermissionPlan
from rapport.authz.rules import ROLE_PREFIX, Policy

UNNAMED_DEPARTMENT = "~unnamed"
"""A department code no policy can name (codes cannot start with ``~``): every department no rule names."""

_MODE_LEVEL: Mapping[FieldMode, int] = {"hidden": 0, "masked": 1, "full": 2}
_MODE_WORDS = {1: "masked", 2: "in full"}

Point = tuple[str, ...]
"""One question: ("row", resource, action, department, own) or ("field", field, department, own)."""


@dataclass(frozen=True)
class Widening:
    """What a change would add to its author's own permissions (nothing: the change may go ahead)."""

    points: tuple[tuple[Point, int], ...]  # each widened question with its answer after the change

    def __bool__(self) -> bool:
        return bool(self.points)

    def summary(self, limit: int = 8) -> list[str]:
        """The widened permissions in policy words, one per (resource, action) or field, no row data."""
        found: dict[str, None] = {}
        for point, level in self.points:
            if point[0] == "row":
                found.setdefault(f"{point[2]} {point[1]}", None)
            else:
                found.setdefault(f"{point[1]} shown {_MODE_WORDS[level]}", None)
        # read covers read_masked: naming both says the same thing twice
        words = [word for word in found if not (word.startswith("read_masked ") and "read " + word[12:] in found)]
        return words[:limit] + ([f"and {len(words) - limit} more"] if len(words) > limit else [])


def actor_under(actor: Actor, policy: Policy) -> Actor:
    """``actor`` as authentication would make it under ``policy``: an agent's grants are its ``g``
    rows; an API key's roles are its own (the policy cannot grant a key anything but rules)."""
    if actor.kind != "user":
        return actor
    grants = sorted(
        (line.role, line.department) for line in policy.assignments if line.subject == actor.subject
    )
    return replace(actor, grants=tuple(RoleGrant(role.removeprefix(ROLE_PREFIX), dom) for role, dom in grants))


def departments_named(actors: Iterable[Actor], policies: Iterable[Policy]) -> list[str]:
    """Departments whose rows can be treated differently from an unnamed one, plus the unnamed one."""
    named = {grant.department for actor in actors for grant in actor.grants}
    for policy in policies:
        named |= {rule.department for rule in policy.rules}
        named |= {line.department for line in policy.assignments}
    named.discard(ANY)
    return [*sorted(named), UNNAMED_DEPARTMENT]


def fields_named(*policies: Policy) -> list[str]:
    """Every field a field mode can be asked about: the rows' fields and any field the policies name."""
    found = set(field_resources())
    for policy in policies:
        found |= {group.member for group in policy.groups}
        found |= {
            rule.resource for rule in policy.rules if row_resource_of(rule.resource) and not is_pattern(rule.resource)
        }
    return sorted(found)


def permissions(plan: PermissionPlan, departments: Iterable[str], fields: Iterable[str]) -> dict[Point, int]:
    """Every question of the comparison with the plan's answer: 1 reached / 0 not for rows, the mode's
    level (hidden 0, masked 1, full 2) for fields."""
    departments = list(departments)
    answers: dict[Point, int] = {}
    for resource in RESOURCES:
        for action in ACTIONS:
            scope = plan.row_scope(resource, action)
            for department in departments:
                for own in (False, True):
                    answers[("row", resource, action, department, str(own))] = int(scope.covers(department, own))
    for field in fields:
        for department in departments:
            for own in (False, True):
                answers[("field", field, department, str(own))] = _MODE_LEVEL[plan.field_mode(field, department, own)]
    return answers


def widening(actor: Actor, before: Policy, after: Policy) -> Widening:
    """What ``after`` would let ``actor`` do (or see) that ``before`` does not."""
    was, will_be = actor_under(actor, before), actor_under(actor, after)
    departments = departments_named((was, will_be), (before, after))
    fields = fields_named(before, after)
    old = permissions(PermissionPlan(was, CompiledPolicy(before, 0, "before")), departments, fields)
    new = permissions(PermissionPlan(will_be, CompiledPolicy(after, 0, "after")), departments, fields)
    return Widening(tuple((point, level) for point, level in new.items() if level > old[point]))
