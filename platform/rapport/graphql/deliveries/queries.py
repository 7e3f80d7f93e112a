"""Root fields for integration admins (``read`` on ``integration``): the outbox's state and the parked
deliveries, newest first."""

from __future__ import annotations

import strawberry

from rapport import models
from rapport.events import relay
from rapport.graphql.core.errors import ClientError
from rapport.graphql.core.filters import column_text
from rapport.graphql.core.ids import argument_id
from rapport.graphql.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from rapport.graphql.deliveries.types import EventDelivery, OutboxStatus
from rapport.graphql.gate import secured


@strawberry.type
class DeliveryQuery:
    @strawberry.field(description="Pending events, and deliveries retrying or parked.", extensions=[secured("integration", "read")])
    async def outbox_status(self) -> OutboxStatus:
        now = await relay.counts()
        return OutboxStatus(pending_events=now.pending_events, retrying=now.retrying, parked=now.parked)

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
        before = argument_id(after, "EventDelivery", "after") if after is not None else None
        if consumer is not None:
            consumer = column_text(consumer.strip(), "consumer", models.OutboxDelivery, "consumer")
        rows = await relay.parked(consumer, size, before)
        return [EventDelivery.from_model(row) for row in rows]
