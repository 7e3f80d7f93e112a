"""GraphQL types of event deliveries. An event's payload is never shown: it may hold personal data that
``integration`` readers have no right to (the entity's id says where to look, with its own permissions)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from rapport import models
from rapport.graphql.core.errors import FieldError
from rapport.graphql.core.ids import to_global_id


@strawberry.type(description="One domain event's delivery to one consumer (a plugin's on_event, a webhook relay).")
class EventDelivery:
    id: strawberry.ID
    consumer: str = strawberry.field(description="The consuming plugin's name.")
    topic: str = strawberry.field(description='The event, e.g. "ticket.sla_breached".')
    entity: str = strawberry.field(description='What changed: "customer", "interaction" or "ticket".')
    entity_id: str = strawberry.field(description="Its database id (the event's payload itself is not shown).")
    event_at: datetime = strawberry.field(description="When the change was committed.")
    attempts: int = strawberry.field(description="Delivery attempts since it was last (re)queued.")
    last_error: str | None = strawberry.field(description="What the consumer raised on the last attempt.")
    parked_at: datetime | None = strawberry.field(description="When the relay gave up (null: still being tried, or delivered).")
    delivered_at: datetime | None

    @classmethod
    def from_model(cls, row: models.OutboxDelivery) -> EventDelivery:
        event: models.OutboxEvent = row.event
        return cls(
            id=strawberry.ID(to_global_id("EventDelivery", row.id)), consumer=row.consumer, topic=event.topic,
            entity=event.entity, entity_id=event.entity_id, event_at=event.created_at, attempts=row.attempts,
            last_error=row.last_error, parked_at=row.parked_at, delivered_at=row.delivered_at,
        )


@strawberry.type(description="Where the outbox stands.")
class OutboxStatus:
    pending_events: int = strawberry.field(description="Events not yet delivered to (or parked by) every consumer.")
    retrying: int = strawberry.field(description="Deliveries that failed and wait for their next attempt, or their first.")
    parked: int = strawberry.field(description="Deliveries the relay gave up on: see parkedDeliveries, then retryDelivery.")


@strawberry.type
class RetryDeliveryPayload:
    delivery: EventDelivery | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)
