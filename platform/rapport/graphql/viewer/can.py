"""``Viewer.can``: a question to the request's permission plan (the same plan the API enforces)."""

from __future__ import annotations

import strawberry

from rapport.graphql.core.errors import ClientError


async def can(info: strawberry.Info, resource: str, action: str, department: str | None) -> bool:
    from rapport.graphql.policies.inputs import action_problem, present, resource_problem

    plan = await info.context.plan()
    problems = present(resource_problem(resource, plan.compiled.policy.group_names()), action_problem(action))
    if problems:
        raise ClientError("; ".join(problem.message for problem in problems))
    return plan.allows(resource, action, department)
