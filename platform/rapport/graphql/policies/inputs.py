"""Mutation inputs of the policy API and the checks that name the input field at fault.

The store validates every change again (and checks what needs the whole policy, e.g. that a granted
role has rules); these checks run first so that each problem carries the path of its field.
"""

from __future__ import annotations

import strawberry

from rapport import models
from rapport.authz.model import ACTIONS, ANY, DEPARTMENT_RE, PII_GROUP, ROLE_RE, SCOPES, SUBJECT_RE, known_resource
from rapport.authz.rules import ROLE_PREFIX
from rapport.graphql.policies.types import PolicyEffect
from rapport.services.errors import ErrorCode, Problem


@strawberry.input(description="An access rule to add or remove.")
class AccessRuleInput:
    subject: str = strawberry.field(description="`user:<email>`, `role:<name>` or `key:<api key name>`.")
    department: str = strawberry.field(description="A department code, or `*` for every department.")
    resource: str = strawberry.field(description="e.g. `customer`, `customer.phone`, `customer.pii`, `report.*`.")
    action: str = strawberry.field(description="read, read_masked, create, update, delete, export, manage, or `*`.")
    effect: PolicyEffect = PolicyEffect.ALLOW
    scope: str | None = strawberry.field(
        default=None,
        description="own, dept or all. Adding: null means all (a deny always applies at every scope). Removing: "
        "null means the one stored rule that matches the other fields (INVALID when several do).",
    )


@strawberry.input(description="A role held in a department, e.g. subject user:jane@example.com, role agent, department sales.")
class RoleGrantInput:
    subject: str = strawberry.field(description="`user:<email>`, or `role:<name>` to make a role inherit another.")
    role: str = strawberry.field(description="The role's name, e.g. `agent` (`role:agent` is accepted too).")
    department: str = strawberry.field(description="A department code, or `*` for every department.")


RULE_TEXT_MAX = 255  # the columns of a stored rule (PolicyRule.v0..v5)
DEPARTMENT_CODE_MAX = 64  # Department.code


def _invalid(message: str, field: str) -> Problem:
    return Problem(ErrorCode.INVALID, message, ("input", field))


def _text_problem(text: str, field: str, max_length: int = RULE_TEXT_MAX) -> Problem | None:
    """Checked before any pattern or lookup: a longer text fails in the ORM, a NUL in PostgreSQL."""
    if len(text) > max_length:
        return _invalid(f"{field} must be at most {max_length} characters", field)
    if "\x00" in text:
        return _invalid(f"{field} must not contain NUL characters", field)
    return None


def subject_problem(subject: str, field: str = "subject") -> Problem | None:
    if problem := _text_problem(subject, field):
        return problem
    if SUBJECT_RE.match(subject):
        return None
    return _invalid(f"malformed subject {subject!r}: use user:<email>, role:<name> or key:<name>", field)


def action_problem(action: str, field: str = "action") -> Problem | None:
    if action in ACTIONS or action == ANY:
        return None
    return _invalid(f"unknown action {action!r}: use one of {', '.join(ACTIONS)} or *", field)


def scope_problem(scope: str | None, field: str = "scope") -> Problem | None:
    if scope is None or scope in SCOPES:
        return None
    return _invalid(f"unknown scope {scope!r}: use one of {', '.join(SCOPES)}", field)


def resource_problem(resource: str, groups: frozenset[str] | set[str], field: str = "resource") -> Problem | None:
    if problem := _text_problem(resource, field):
        return problem
    if known_resource(resource, set(groups) | {PII_GROUP}):
        return None
    return _invalid(
        f"unknown resource {resource!r}: use customer, ticket, interaction, one of their fields (customer.phone), "
        "a field group (customer.pii), report.<name>, policy, audit, or a pattern such as report.*",
        field,
    )


async def department_problem(department: str, field: str = "department", *, must_exist: bool = True) -> Problem | None:
    if department == ANY:
        return None
    if problem := _text_problem(department, field, DEPARTMENT_CODE_MAX):
        return problem
    if not DEPARTMENT_RE.match(department):
        return _invalid(f"malformed department {department!r}: use a department code or *", field)
    if must_exist and not await models.Department.filter(code=department).exists():
        codes = sorted(await models.Department.all().values_list("code", flat=True))
        known = ", ".join(codes) or "none yet"
        return _invalid(f"unknown department {department!r} (known: {known}, or * for every department)", field)
    return None


def role_problem(role: str, field: str = "role") -> Problem | None:
    if problem := _text_problem(role, field):
        return problem
    if ROLE_RE.match(role.removeprefix(ROLE_PREFIX)):
        return None
    return _invalid(f"malformed role {role!r}: use a role name such as agent (or role:agent)", field)


def present(*problems: Problem | None) -> list[Problem]:
    return [problem for problem in problems if problem is not None]
