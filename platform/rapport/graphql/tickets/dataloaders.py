"""Per-request loaders of tickets: one batch of statements per page of parents, whatever its size.

Loaders that take arguments are named with the arguments' signature, so the same field asked with
different arguments in one query gets its own loader.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import strawberry
from strawberry.dataloader import DataLoader
from tortoise.expressions import Q

from rapport import models
from rapport.graphql.core.ids import argument_id
from rapport.graphql.core.nested import nested_connection_loader
from rapport.graphql.core.pagination import MAX_PAGE_SIZE, Connection, Ordering, PageRequest, SortKey

ACTIVITY_ORDER = Ordering(keys=((SortKey("at", "datetime"), False),), signature="AT:ASC")


def _signature(*arguments: Any) -> str:
    # Inputs are dataclasses, enums and scalars: orjson writes each the same way every time.
    return orjson.dumps(arguments, default=str).decode()


def activities_by_ticket(info: strawberry.Info, first: int | None, after: str | None) -> DataLoader[int, list[Any]]:
    """TicketActivitiesByTicketLoader: each ticket's record in time order, for a page of tickets at once."""
    after_pk = argument_id(after, "TicketActivity", "activities.after") if after is not None else None

    def factory() -> DataLoader[int, list[Any]]:
        from rapport.graphql.tickets.types import TicketActivity

        async def base() -> Any:
            qs = models.TicketActivity.all()
            if after_pk is not None:
                anchor = await models.TicketActivity.filter(id=after_pk).values_list("at", flat=True)
                if not anchor:
                    return qs.filter(id__in=[])
                qs = qs.filter(Q(at__gt=anchor[0]) | Q(at=anchor[0], id__gt=after_pk))
            return qs

        page = PageRequest(first=MAX_PAGE_SIZE if first is None else first)
        connections = nested_connection_loader(base, "ticket_id", ACTIVITY_ORDER, page, TicketActivity.from_model)

        async def load(ticket_ids: Sequence[int]) -> list[list[Any]]:
            return [connection.nodes for connection in await connections.load_many(ticket_ids)]

        return DataLoader(load_fn=load)

    return info.context.loader(f"TicketActivitiesByTicketLoader:{_signature(first, after_pk)}", factory)


def tickets_by_customer(
    info: strawberry.Info, first: int | None, after: str | None, where: Any, order_by: list[Any] | None
) -> DataLoader[int, Connection[Any]]:
    """TicketsByCustomerLoader: ``Customer.tickets`` for a page of customers in a fixed number of statements."""

    def factory() -> DataLoader[int, Connection[Any]]:
        from rapport.graphql.tickets.queries import filtered_tickets
        from rapport.graphql.tickets.types import Ticket

        async def base() -> Any:
            return await filtered_tickets(info, where)

        return nested_connection_loader(base, "customer_id", ordering, PageRequest(first, after), Ticket.from_model)

    from rapport.graphql.core.annotations import Annotations
    from rapport.graphql.tickets.filters import order_signature, ticket_ordering, ticket_q

    ticket_q(where, {}, Annotations(), datetime.now(UTC))  # a bad id in the filter is one error, not one per customer
    ordering = ticket_ordering(order_by)  # likewise a bad sort key
    orders = order_signature(order_by)
    return info.context.loader(f"TicketsByCustomerLoader:{_signature(first, after, where, orders)}", factory)

