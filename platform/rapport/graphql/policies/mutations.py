"""Policy mutations: each calls :mod:`rapport.authz.store` as the request's actor.

The store writes the rule, a PolicyChange and the version bump in one transaction and then publishes
the change (this process at once; other processes through redis and the version poll). Invalid input
comes back as typed errors with the input's path, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping

import strawberry

from rapport import models
from rapport.auth.actor import RoleGrant
from rapport.authz import store
from rapport.authz.model import ALL
from rapport.authz.rules import ROLE_PREFIX, Rule
from rapport.graphql.core.errors import FieldError, field_errors
from rapport.graphql.gate import secured
from rapport.graphql.policies.inputs import (
    AccessRuleInput,
    RoleGrantInput,
    action_problem,
    department_problem,
    present,
    resource_problem,
    role_problem,
    scope_problem,
    subject_problem,
)
from rapport.graphql.policies.types import AccessRule, PolicyPayload, RoleGrantType
from rapport.services.errors import DomainError, ErrorCode, Problem

POLICY = "policy"
MANAGE = "manage"


def _forbidden() -> PolicyPayload:
    return PolicyPayload(errors=[FieldError(message="you may not change the access policy", path=None, code=ErrorCode.FORBIDDEN)])


def _failed(problems: list[Problem] | DomainError, paths: Mapping[str, tuple[str, ...]] | None = None) -> PolicyPayload:
    """A payload with the problems; the store's paths (``rule``, ``subject``, ``role``) become input paths."""
    found = problems.problems if isinstance(problems, DomainError) else problems
    paths = paths or {}

    def mapped(path: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if not path or path[0] == "input":
            return path
        return paths.get(path[0], ("input", *path))

    return PolicyPayload(errors=field_errors(DomainError([Problem(p.code, p.message, mapped(p.path)) for p in found])))


def _clean_rule(input: AccessRuleInput) -> tuple[str, str, str, str, str | None, str]:
    scope = input.scope.strip() if input.scope is not None else None
    return (input.subject.strip(), input.department.strip(), input.resource.strip(), input.action.strip(), scope,
            input.effect.value)


async def _rule_problems(subject: str, department: str, resource: str, action: str, scope: str | None,
                         *, adding: bool) -> list[Problem]:
    groups = (await store.current_policy()).group_names()
    return present(
        subject_problem(subject),
        await department_problem(department, must_exist=adding),
        resource_problem(resource, groups),
        action_problem(action),
        scope_problem(scope),
    )


async def _role_rules(role: str) -> list[AccessRule]:
    return [AccessRule.from_rule(rule) for rule in (await store.current_policy()).rules if rule.subject == role]


async def _grant_problems(input: RoleGrantInput, *, granting: bool) -> tuple[str, RoleGrant | None, list[Problem]]:
    subject, role, department = input.subject.strip(), input.role.strip(), input.department.strip()
    problems = present(subject_problem(subject), role_problem(role), await department_problem(department, must_exist=granting))
    if subject.startswith("key:"):
        problems.append(Problem(ErrorCode.INVALID, "API keys carry their roles themselves (rapport apikey create --role)",
                                ("input", "subject")))
    grant = None if problems else RoleGrant(role=role.removeprefix(ROLE_PREFIX), department=department)
    return subject, grant, problems


# The store reports whole-line problems under "rule"; for grants the only one left after the checks
# above is "this role has no rules".
_GRANT_PATHS = {"rule": ("input", "role")}
_RULE_PATHS = {"rule": ("input",)}


@strawberry.type
class PolicyMutation:
    @strawberry.mutation(
        description="Add an access rule (security admins: manage on policy). Takes effect in every process within a second.",
        extensions=[secured(POLICY, MANAGE, _forbidden)],
    )
    async def add_access_rule(self, info: strawberry.Info, input: AccessRuleInput) -> PolicyPayload:
        subject, department, resource, action, scope, effect = _clean_rule(input)
        problems = await _rule_problems(subject, department, resource, action, scope, adding=True)
        if problems:
            return _failed(problems)
        rule = Rule(subject, department, resource, action, scope or ALL, effect)
        try:
            version = await store.add_rule(rule, by=info.context.actor)
        except DomainError as error:
            return _failed(error, _RULE_PATHS)
        return PolicyPayload(rules=[AccessRule.from_rule(rule)], version=version)

    @strawberry.mutation(
        description="Remove an access rule. Without scope, the one stored rule matching the other fields is removed.",
        extensions=[secured(POLICY, MANAGE, _forbidden)],
    )
    async def remove_access_rule(self, info: strawberry.Info, input: AccessRuleInput) -> PolicyPayload:
        subject, department, resource, action, scope, effect = _clean_rule(input)
        problems = await _rule_problems(subject, department, resource, action, scope, adding=False)
        if problems:
            return _failed(problems)
        if scope is None:
            scopes = await models.PolicyRule.filter(
                ptype="p", v0=subject, v1=department, v2=resource, v3=action, v5=effect
            ).order_by("id").values_list("v4", flat=True)
            if len(scopes) > 1:
                return _failed([Problem(
                    ErrorCode.INVALID,
                    f"{len(scopes)} rules match (scopes {', '.join(scopes)}): give the scope of the one to remove",
                    ("input", "scope"),
                )])
            if not scopes:
                return _failed([Problem(
                    ErrorCode.NOT_FOUND,
                    f"there is no rule p, {subject}, {department}, {resource}, {action}, <any scope>, {effect}",
                )])
            scope = scopes[0]
        rule = Rule(subject, department, resource, action, scope, effect)
        try:
            version = await store.remove_rule(rule, by=info.context.actor)
        except DomainError as error:
            return _failed(error, _RULE_PATHS)
        return PolicyPayload(rules=[AccessRule.from_rule(rule)], version=version)

    @strawberry.mutation(
        description="Grant a role in a department. Nobody can grant a role to themselves (FORBIDDEN).",
        extensions=[secured(POLICY, MANAGE, _forbidden)],
    )
    async def grant_role(self, info: strawberry.Info, input: RoleGrantInput) -> PolicyPayload:
        return await _change_grant(info, input, granting=True)

    @strawberry.mutation(
        description="Revoke a role grant (NOT_FOUND when the subject does not hold it).",
        extensions=[secured(POLICY, MANAGE, _forbidden)],
    )
    async def revoke_role(self, info: strawberry.Info, input: RoleGrantInput) -> PolicyPayload:
        return await _change_grant(info, input, granting=False)


async def _change_grant(info: strawberry.Info, input: RoleGrantInput, *, granting: bool) -> PolicyPayload:
    """Grant or revoke; the payload lists the role's rules so the admin sees what the grant means."""
    subject, grant, problems = await _grant_problems(input, granting=granting)
    if grant is None:
        return _failed(problems)
    change = store.grant_role if granting else store.revoke_role
    try:
        version = await change(subject, grant, by=info.context.actor)
    except DomainError as error:
        return _failed(error, _GRANT_PATHS)
    return PolicyPayload(
        rules=await _role_rules(ROLE_PREFIX + grant.role),
        grant=RoleGrantType(subject=subject, role=grant.role, department=grant.department),
        version=version,
    )
