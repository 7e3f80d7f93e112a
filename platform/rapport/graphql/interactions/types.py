"""GraphQL type of interactions. An interaction is shown only with its customer (see readable_interactions)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from rapport import models
from rapport.graphql.customers.types import Customer
from rapport.graphql.org.dataloaders import agent_by_id
from rapport.graphql.org.types import Agent

if TYPE_CHECKING:
    from rapport.graphql.tickets.types import Ticket

InteractionChannel = strawberry.enum(models.InteractionChannel, description="How the interaction took place.")
InteractionDirection = strawberry.enum(
    models.InteractionDirection, description="INBOUND: the customer reached out; OUTBOUND: we did."
)


@strawberry.type(description="A call, email, meeting or message with a customer.")
class Interaction(relay.Node):
    id: relay.NodeID[int]
    channel: InteractionChannel
    direction: InteractionDirection
    subject: str
    body: str | None
    occurred_at: datetime
    duration_seconds: int | None
    custom: JSON = strawberry.field(description="Plugin-defined custom fields as JSON.")
    created_at: datetime
    row: strawberry.Private[models.Interaction]

    @classmethod
    def from_model(cls, row: models.Interaction) -> Interaction:
        return cls(
            id=row.id, channel=InteractionChannel(row.channel), direction=InteractionDirection(row.direction),
            subject=row.subject, body=row.body, occurred_at=row.occurred_at, duration_seconds=row.duration_seconds,
            custom=row.custom or {}, created_at=row.created_at, row=row,
        )

    @strawberry.field(description="The customer the interaction was with.")
    async def customer(self, info: strawberry.Info) -> Customer:
        from rapport.graphql.customers.dataloaders import readable_customer_by_id

        row = await readable_customer_by_id(info).load(self.row.customer_id)
        if row is None:  # listed interactions have readable customers; only a concurrent delete gets here
            raise LookupError(f"customer of interaction {self.row.id} is no longer readable")
        return Customer.from_model(row)

    @strawberry.field(description="The agent who logged it; null for API keys and removed agents.")
    async def agent(self, info: strawberry.Info) -> Agent | None:
        if self.row.agent_id is None:
            return None
        row = await agent_by_id(info).load(self.row.agent_id)
        return Agent.from_model(row) if row else None

    @strawberry.field(description="The ticket it belongs to; null when none or you may not read it.")
    async def ticket(
        self, info: strawberry.Info
    ) -> Annotated["Ticket", strawberry.lazy("rapport.graphql.tickets.types")] | None:
        if self.row.ticket_id is None:
            return None
        # Imported here: the tickets domain imports this module (Ticket.interactions).
        from rapport.graphql.interactions.dataloaders import readable_ticket_by_id
        from rapport.graphql.tickets.types import Ticket

        row = await readable_ticket_by_id(info).load(self.row.ticket_id)
        return Ticket.from_model(row) if row else None

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        from rapport.graphql.interactions.queries import readable_interactions

        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = {row.id: row for row in await (await readable_interactions(info)).filter(id__in=ids)}
        return [cls.from_model(rows[int(i)]) if str(i).isdigit() and int(i) in rows else None for i in node_ids]
