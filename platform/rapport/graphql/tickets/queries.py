"""Root fields that read tickets. Every query applies the viewer's row scope in SQL."""

from __future__ import annotations

import strawberry
from tortoise.queryset import QuerySet

from rapport import models
from rapport.graphql.core.annotations import Annotations
from rapport.graphql.core.errors import ClientError
from rapport.graphql.core.filters import column_text
from rapport.graphql.core.ids import parse_global_id
from rapport.graphql.core.pagination import Connection, PageRequest, paginate
from rapport.graphql.gate import secured
from rapport.graphql.org.dataloaders import department_codes
from rapport.graphql.tickets.filters import TicketFilter, TicketOrder, ticket_ordering, ticket_q
from rapport.graphql.tickets.types import Ticket, request_now
from rapport.services.tickets import ticket_scope


async def readable_tickets(info: strawberry.Info, action: str = "read") -> QuerySet:
    """Tickets the viewer may read (an empty query when none)."""
    scope = await ticket_scope(await info.context.plan(), action)
    return models.Ticket.filter(scope) if scope is not None else models.Ticket.filter(id__in=[])


async def filtered_tickets(info: strawberry.Info, where: TicketFilter | None) -> QuerySet:
    """Readable tickets matching ``where`` (the filter's SQL expressions annotated)."""
    codes = await department_codes(info)
    annotations = Annotations()
    q = ticket_q(where, {code: pk for pk, code in codes.items()}, annotations, request_now(info))
    return annotations.apply(await readable_tickets(info)).filter(q)


@strawberry.type
class TicketQuery:
    @strawberry.field(
        description="A ticket by id or by number (give one or both: both must match); null when it does not exist "
        "or you may not read it.",
        extensions=[secured("ticket", "read")],
    )
    async def ticket(self, info: strawberry.Info, id: strawberry.ID | None = None, number: str | None = None) -> Ticket | None:
        if id is None and number is None:
            raise ClientError("ticket: give id or number")
        qs = await readable_tickets(info)
        if id is not None:
            pk = parse_global_id(id, "Ticket")
            if pk is None:
                return None
            qs = qs.filter(id=pk)
        if number is not None:
            qs = qs.filter(number=column_text(number.strip().upper(), "number", models.Ticket, "number"))
        row = await qs.first()
        return Ticket.from_model(row) if row else None

    @strawberry.field(
        description="Tickets you may read. Page with first/after or last/before (default 20, at most 100: "
        "larger values are rejected). Cursors are stable for the orderBy that produced them.",
        extensions=[secured("ticket", "read")],
    )
    async def tickets(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None, where: TicketFilter | None = None, order_by: list[TicketOrder] | None = None,
    ) -> Connection[Ticket]:
        qs = await filtered_tickets(info, where)
        ordering = ticket_ordering(order_by)
        return await paginate(qs, ordering, PageRequest(first, after, last, before), Ticket.from_model)
