"""Root fields for security admins: the rules, the role grants, "why can X see Y?", and the change log.

Every field needs ``manage`` on ``policy``; anyone else gets a FORBIDDEN error for the field. Rules and
grants are read from the database (authoritative), decisions from this process's current policy.
"""

from __future__ import annotations

import strawberry

from rapport import models
from rapport.authz import store
from rapport.authz.explain import explain
from rapport.authz.rules import Assignment, Rule
from rapport.graphql.core.errors import ClientError
from rapport.graphql.core.filters import filter_text
from rapport.graphql.core.ids import argument_id
from rapport.graphql.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from rapport.graphql.gate import secured
from rapport.graphql.policies.inputs import (
    RULE_TEXT_MAX,
    action_problem,
    department_problem,
    present,
    resource_problem,
    scope_problem,
    subject_problem,
)
from rapport.graphql.policies.types import AccessDecision, AccessRule, PolicyChange, RoleGrantType

_COLUMNS = ("v0", "v1", "v2", "v3", "v4", "v5")


@strawberry.type
class PolicyQuery:
    @strawberry.field(
        description="The stored access rules in policy order; each argument given must match exactly "
        "(department \"*\" lists the rules written for every department).",
        extensions=[secured("policy", "manage")],
    )
    async def access_rules(
        self, subject: str | None = None, department: str | None = None, resource: str | None = None
    ) -> list[AccessRule]:
        query = models.PolicyRule.filter(ptype="p")
        for column, value, name in (("v0", subject, "subject"), ("v1", department, "department"), ("v2", resource, "resource")):
            if value is not None:
                query = query.filter(**{column: filter_text(value.strip(), name, RULE_TEXT_MAX)})
        rows = await query.order_by("id").values_list(*_COLUMNS)
        return [AccessRule.from_rule(Rule(*row)) for row in rows]

    @strawberry.field(
        description="The stored role grants, ordered by subject, role and department; each argument given must match exactly.",
        extensions=[secured("policy", "manage")],
    )
    async def role_grants(self, subject: str | None = None, department: str | None = None) -> list[RoleGrantType]:
        query = models.PolicyRule.filter(ptype="g")
        for column, value, name in (("v0", subject, "subject"), ("v2", department, "department")):
            if value is not None:
                query = query.filter(**{column: filter_text(value.strip(), name, RULE_TEXT_MAX)})
        rows = await query.order_by("v0", "v1", "v2").values_list("v0", "v1", "v2")
        return [RoleGrantType.from_assignment(Assignment(*row)) for row in rows]

    @strawberry.field(
        description="Why SUBJECT, acting in DEPARTMENT (where it holds its role; * for roles held everywhere), may or "
        "may not do ACTION on RESOURCE: the decision and the rules behind it. Without scope, the widest allowed "
        "scope is reported.",
        extensions=[secured("policy", "manage")],
    )
    async def explain_access(
        self, subject: str, resource: str, action: str, department: str, scope: str | None = None
    ) -> AccessDecision:
        subject, resource, action, department = subject.strip(), resource.strip(), action.strip(), department.strip()
        groups = (await store.current_policy()).group_names()
        problems = present(
            subject_problem(subject),
            resource_problem(resource, groups),
            action_problem(action),
            await department_problem(department, must_exist=False),
            scope_problem(scope),
        )
        if problems:
            raise ClientError("; ".join(problem.message for problem in problems))
        return AccessDecision.from_decision(await explain(subject, resource, action, department, scope))

    @strawberry.field(
        description=f"Changes to the access policy, newest first. Page with first (default {DEFAULT_PAGE_SIZE}, at most "
        f"{MAX_PAGE_SIZE}) and after = the id of the last change of the previous page.",
        extensions=[secured("policy", "manage")],
    )
    async def policy_changes(self, first: int | None = None, after: str | None = None) -> list[PolicyChange]:
        size = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise ClientError(f"first must be between 0 and {MAX_PAGE_SIZE} (got {size})")
        query = models.PolicyChange.all()
        if after is not None:
            query = query.filter(id__lt=argument_id(after, "PolicyChange", "after"))
        rows = await query.order_by("-id").limit(size)
        agent_ids = {row.actor_agent_id for row in rows if row.actor_agent_id is not None}
        agents = {agent.id: agent for agent in await models.Agent.filter(id__in=agent_ids)} if agent_ids else {}
        return [PolicyChange.from_model(row, agents.get(row.actor_agent_id)) for row in rows]
