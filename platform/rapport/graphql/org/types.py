"""GraphQL types of the organisation: Department and Agent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from rapport import models


@strawberry.type(description="A department: the unit that owns customers and tickets and scopes access rules.")
class Department(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable code used in access rules, e.g. `sales`.")
    name: str

    @classmethod
    def from_model(cls, row: models.Department) -> Department:
        return cls(id=row.id, code=row.code, name=row.name)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = [int(i) for i in node_ids]
        rows = {row.id: row for row in await models.Department.filter(id__in=ids)}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]


@strawberry.type(description="A person who works in Rapport (a user).")
class Agent(relay.Node):
    id: relay.NodeID[int]
    name: str
    email: str | None
    active: bool
    department_id: strawberry.Private[int | None]

    @strawberry.field
    async def department(self, info: strawberry.Info) -> Department | None:
        if self.department_id is None:
            return None
        from rapport.graphql.org.dataloaders import department_by_id

        row = await department_by_id(info).load(self.department_id)
        return Department.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.Agent) -> Agent:
        return cls(id=row.id, name=row.name, email=row.email, active=row.active, department_id=row.department_id)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        ids = [int(i) for i in node_ids]
        rows = {row.id: row for row in await models.Agent.filter(id__in=ids)}
        return [cls.from_model(rows[i]) if i in rows else None for i in ids]
