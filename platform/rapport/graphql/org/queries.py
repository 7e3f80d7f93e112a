"""Root fields of the organisation: departments and agents (e.g. for assignee pickers)."""

from __future__ import annotations

import strawberry

from rapport import models
from rapport.graphql.core.errors import ClientError
from rapport.graphql.core.filters import column_text
from rapport.graphql.core.ids import argument_id
from rapport.graphql.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from rapport.graphql.gate import PUBLIC, secured
from rapport.graphql.org.types import Agent, Department


@strawberry.type
class OrgQuery:
    @strawberry.field(description="Every department, in creation order.", extensions=[secured(PUBLIC, "read")])
    async def departments(self) -> list[Department]:
        return [Department.from_model(row) for row in await models.Department.all().order_by("id")]

    @strawberry.field(
        description="Active agents in id order, optionally of one department (code). Page with first (default 20, "
        "at most 100) and after = the id of the last agent of the previous page.",
        extensions=[secured(PUBLIC, "read")],
    )
    async def agents(
        self, first: int | None = None, after: str | None = None, department: str | None = None
    ) -> list[Agent]:
        size = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise ClientError(f"first must be between 0 and {MAX_PAGE_SIZE} (got {size})")
        query = models.Agent.filter(active=True)
        if department is not None:
            query = query.filter(department__code=column_text(department, "department", models.Department, "code"))
        if after is not None:
            query = query.filter(id__gt=argument_id(after, "Agent", "after"))
        return [Agent.from_model(row) for row in await query.order_by("id").limit(size)]
