"""Per-request loaders for values computed per customer (one query per batch, whatever the page size)."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.dataloader import DataLoader
from tortoise.functions import Count

from rapport import models
from rapport.authz.sql import row_filter

OPEN_STATUSES = ("new", "open", "pending")


def readable_customer_by_id(info: strawberry.Info) -> DataLoader[int, models.Customer | None]:
    """CustomerByIdLoader: live customers the viewer may read (None for the others), for every type
    that points at a customer (interactions, tickets)."""

    async def load(ids: Sequence[int]) -> list[models.Customer | None]:
        from rapport.graphql.customers.queries import readable_customers

        rows = {row.id: row for row in await (await readable_customers(info)).filter(id__in=set(ids))}
        return [rows.get(i) for i in ids]

    return info.context.loader("CustomerByIdLoader", lambda: DataLoader(load_fn=load))


def open_ticket_count(info: strawberry.Info) -> DataLoader[int, int]:
    """OpenTicketCountByCustomerLoader: counts only the tickets the viewer may read."""

    async def load(customer_ids: Sequence[int]) -> list[int]:
        scope = await row_filter(await info.context.plan(), "ticket", "read", owner_field="assignee_id")
        if scope is None:
            return [0 for _ in customer_ids]
        rows = await (
            models.Ticket.filter(scope, customer_id__in=set(customer_ids), status__in=OPEN_STATUSES)
            .annotate(n=Count("id")).group_by("customer_id").values_list("customer_id", "n")
        )
        counts = dict(rows)
        return [counts.get(i, 0) for i in customer_ids]

    return info.context.loader("OpenTicketCountByCustomerLoader", lambda: DataLoader(load_fn=load))
