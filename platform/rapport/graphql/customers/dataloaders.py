"""Per-request loaders for values computed per customer (one query per batch, whatever the page size)."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.dataloader import DataLoader
from tortoise.functions import Count

from rapport import models
from rapport.authz.sql import row_filter

OPEN_STATUSES = ("new", "open", "pending")


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
