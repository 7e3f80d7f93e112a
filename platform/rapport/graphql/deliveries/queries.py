"""Root fields for integration admins (``read`` on ``integration``): the outbox's state and the parked
deliveries, newest first."""

from __future__ import annotations

import strawberry

from rapport import models
from rapport.graphql.core.errors import ClientError
from rapport.graphql.core.ids import argument_id
from rapport.graphql.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from rapport.graphql.deliveries.types import EventDelivery, OutboxStatus
from rapport.graphql.gate import secured


@strawberry.type
class DeliveryQuery:
    @strawberry.field(description="Pending events, and deliveries retrying or parked.", extensions=[secured("integration", "read")])
    async def outbox_status(self) -> OutboxStatus:
        return OutboxStatus(
            pending_events=await models.OutboxEvent.filter(delivered_at__isnull=True).count(),
            retrying=await models.OutboxDelivery.filter(delivered_at__isnull=True, parked_at__isnull=True).count(),
            parked=await models.OutboxDelivery.filter(parked_at__isnull=False).count(),
        )

    @strawberry.field(
        description=f"Deliveries the relay gave up on after its retries, newest first; only one consumer's with "
        f"consumer. Page with first (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}) and after = the id of the "
        "last delivery of the previous page. retryDelivery queues one again.",
        extensions=[secured("integration", "read")],
    )
    async def parked_deliveries(
        self, consumer: str | None = None, first: int | None = None, after: strawberry.ID | None = None
    ) -> list[EventDelivery]:
        size = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise ClientError(f"first must be between 0 and {MAX_PAGE_SIZE} (got {size})")
        query = models.OutboxDelivery.filter(parked_at__isnull=False).select_related("event")
        if consumer is not None:
            query = query.filter(consumer=consumer.strip())
        if after is not None:
            query = query.filter(id__lt=argument_id(after, "EventDelivery", "after"))
        return [EventDelivery.from_model(row) for row in await query.order_by("-id").limit(size)]
