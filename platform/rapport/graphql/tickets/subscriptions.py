"""``ticketChanged``: tickets as they change, for subscribers who may read them."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from rapport.compiler.events import NOT_COMPILED, CompiledEvent, compiled_event
from rapport.events.live import TICKETS
from rapport.graphql.gate import secured
from rapport.graphql.live import may_reach, stream
from rapport.graphql.tickets.filters import TicketFilter
from rapport.graphql.tickets.queries import filtered_tickets
from rapport.graphql.tickets.types import Ticket


@strawberry.type
class TicketSubscription:
    @strawberry.subscription(
        description="Each change of a ticket you may read that matches `where` (evaluated on the ticket as it is "
        "after the change), as it is then: opened, updated, transitioned, assigned, commented, rated, breached or "
        "escalated. Rows and fields pass the same access policy as the `tickets` query.",
        extensions=[secured("ticket", "read")],
    )
    async def ticket_changed(self, info: strawberry.Info, where: TicketFilter | None = None) -> AsyncGenerator[Ticket, None]:
        await filtered_tickets(info, where)  # a malformed filter fails now, not at the first event

        async def visible(message: dict[str, Any]) -> Ticket | CompiledEvent | None:
            if not await may_reach(info, "ticket", message.get("department_id"), message.get("assignee_id")):
                return None
            event = await compiled_event(info, "Ticket", int(message["id"]), where)
            if event is not NOT_COMPILED:
                return event
            row = await (await filtered_tickets(info, where)).filter(id=int(message["id"])).first()
            return Ticket.from_model(row) if row is not None else None

        async for ticket in stream(info, TICKETS, "ticket", visible):
            yield ticket
