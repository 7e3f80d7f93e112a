"""Queue a parked delivery again (``manage`` on ``integration``): the relay's next pass tries it, its
attempts counted afresh. Audited."""

from __future__ import annotations

import strawberry
from tortoise.transactions import in_transaction

from rapport import models
from rapport.events import relay
from rapport.graphql.core.errors import FieldError, forbidden
from rapport.graphql.core.ids import parse_global_id
from rapport.graphql.deliveries.types import EventDelivery, RetryDeliveryPayload
from rapport.graphql.gate import secured
from rapport.services import audit
from rapport.services.errors import ErrorCode


def _not_parked(message: str) -> RetryDeliveryPayload:
    return RetryDeliveryPayload(errors=[FieldError(message=message, path=["id"], code=ErrorCode.NOT_FOUND)])


@strawberry.type
class DeliveryMutation:
    @strawberry.mutation(
        description="Deliver a parked event to its consumer again (from parkedDeliveries). NOT_FOUND when there is "
        "no such parked delivery (unknown, delivered, or already queued again).",
        extensions=[secured("integration", "manage", forbidden(RetryDeliveryPayload))],
    )
    async def retry_delivery(self, info: strawberry.Info, id: strawberry.ID) -> RetryDeliveryPayload:
        pk = parse_global_id(id, "EventDelivery")
        if pk is None:
            return _not_parked("id is not an EventDelivery id")
        async with in_transaction() as conn:
            if not await relay.retry(pk, conn):
                return _not_parked(f"no parked delivery {id}")
            await audit.record(conn, (await info.context.plan()).actor, "retry_delivery", "event_delivery", pk,
                               request_id=info.context.request_id)
        row = await models.OutboxDelivery.get(id=pk).select_related("event")
        return RetryDeliveryPayload(delivery=EventDelivery.from_model(row))
