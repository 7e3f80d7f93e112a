"""The ``viewer`` root field."""

from __future__ import annotations

import strawberry

from rapport.graphql.gate import PUBLIC, secured

from rapport.graphql.viewer.types import Viewer


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="The authenticated caller.", extensions=[secured(PUBLIC, "read")])
    async def viewer(self, info: strawberry.Info) -> Viewer:
        actor = info.context.actor
        return Viewer(agent_id=actor.agent_id, roles=actor.roles)
