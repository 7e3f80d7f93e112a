"""Root fields of the organisation."""

from __future__ import annotations

import strawberry

from rapport.graphql.gate import PUBLIC, secured

from rapport import models
from rapport.graphql.org.types import Department


@strawberry.type
class OrgQuery:
    @strawberry.field(description="Every department, in creation order.", extensions=[secured(PUBLIC, "read")])
    async def departments(self) -> list[Department]:
        return [Department.from_model(row) for row in await models.Department.all().order_by("id")]
