"""The Viewer type: the caller of the request."""

from __future__ import annotations

import strawberry

from rapport import models
from rapport.graphql.org.types import Agent


@strawberry.type(description="The caller of this request: an agent (user) or an API key.")
class Viewer:
    agent_id: strawberry.Private[int | None]
    roles: list[str] = strawberry.field(description='Role grants as "role@department", e.g. "agent@sales", "analyst@*".')

    @strawberry.field(description="The agent behind the request; null for API keys.")
    async def agent(self) -> Agent | None:
        if self.agent_id is None:
            return None
        row = await models.Agent.get_or_none(id=self.agent_id)
        return Agent.from_model(row) if row else None

    @strawberry.field(
        description="Whether you may do ACTION (read, read_masked, create, update, delete, export, manage) on RESOURCE "
        "(customer, customer.phone, report.churnRate, policy ...) at any scope, or in DEPARTMENT (a code) when given. "
        "For showing or hiding controls: the API enforces the same answer. Unknown names are an error."
    )
    async def can(self, info: strawberry.Info, resource: str, action: str, department: str | None = None) -> bool:
        from rapport.graphql.viewer.can import can

        return await can(info, resource, action, department)
