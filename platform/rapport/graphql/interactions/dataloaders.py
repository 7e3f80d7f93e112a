"""Per-request loaders of interactions and of the rows they point to, each scoped to the viewer."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.dataloader import DataLoader

from rapport import models
from rapport.graphql.core.nested import nested_connection_loader
from rapport.graphql.core.pagination import Connection, PageRequest, ordering_from
from rapport.graphql.interactions.filters import DEFAULT_ORDER, SORT_KEYS, InteractionFilter, InteractionOrder, interaction_q
from rapport.graphql.interactions.types import Interaction


def readable_ticket_by_id(info: strawberry.Info) -> DataLoader[int, models.Ticket | None]:
    """ReadableTicketByIdLoader: tickets the viewer may read (None otherwise)."""

    async def load(ids: Sequence[int]) -> list[models.Ticket | None]:
        from rapport.services.tickets import ticket_scope

        scope = await ticket_scope(await info.context.plan(), "read")
        if scope is None:
            return [None for _ in ids]
        rows = {row.id: row for row in await models.Ticket.filter(scope, id__in=set(ids))}
        return [rows.get(i) for i in ids]

    return info.context.loader("ReadableTicketByIdLoader", lambda: DataLoader(load_fn=load))


def interactions_by_parent(
    info: strawberry.Info, parent_column: str, first: int | None, after: str | None,
    where: InteractionFilter | None = None, order_by: list[InteractionOrder] | None = None,
) -> DataLoader[int, Connection[Interaction]]:
    """InteractionsBy{Customer,Ticket}Loader: one page of interactions per parent (``customer_id`` or
    ``ticket_id``) for all parents of a page in a fixed number of statements; one loader per argument set."""
    from rapport.graphql.interactions.queries import readable_interactions

    ordering = ordering_from(order_by, SORT_KEYS, DEFAULT_ORDER)
    q = interaction_q(where)  # validates ids in the filter before any loading

    async def base() -> object:
        return (await readable_interactions(info)).filter(q)

    parent = parent_column.removesuffix("_id").title()
    name = f"InteractionsBy{parent}Loader:{ordering.signature}:{first}:{after}:{where!r}"
    return info.context.loader(
        name, lambda: nested_connection_loader(base, parent_column, ordering, PageRequest(first, after), Interaction.from_model)
    )
