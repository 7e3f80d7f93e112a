"""GraphQL for webhook admins: subscriptions, the delivery log, replay. Needs read / manage on the
``integration`` resource (admins have it; grant it to others in the access policy)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from rapport.graphql.core.errors import FieldError, forbidden
from rapport.graphql.gate import secured
from rapport.models import WebhookDelivery as DeliveryRow
from rapport.models import WebhookSubscription as SubscriptionRow
from rapport.services.errors import ErrorCode
from rapport_webhooks import delivery as webhooks

RESOURCE = "integration"


@strawberry.type(description="Where events are sent (plugin rapport-webhooks). The secret is never shown.")
class WebhookSubscription:
    id: strawberry.ID
    name: str
    url: str
    topics: list[str] = strawberry.field(description='Event topics: "*", "ticket.*" or exact, e.g. "customer.created".')
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: SubscriptionRow) -> WebhookSubscription:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, url=row.url, topics=list(row.topics or []),
                   active=row.active, created_at=row.created_at)


@strawberry.type(description="One event sent (or to be sent) to one subscription: the delivery log (plugin rapport-webhooks).")
class WebhookDelivery:
    id: strawberry.ID
    subscription: str
    event_id: strawberry.ID
    topic: str
    entity: str
    entity_id: str
    payload: JSON
    status: str = strawberry.field(description="pending, delivered or failed (gave up: replayWebhookDelivery sends it again).")
    attempts: int
    response_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: DeliveryRow) -> WebhookDelivery:
        event = row.event
        return cls(
            id=strawberry.ID(str(row.id)), subscription=row.subscription.name, event_id=strawberry.ID(str(event.id)),
            topic=event.topic, entity=event.entity, entity_id=event.entity_id, payload=event.payload or {},
            status=row.status, attempts=row.attempts, response_code=row.response_code, last_error=row.last_error,
            next_attempt_at=row.next_attempt_at, delivered_at=row.delivered_at, created_at=row.created_at,
        )


@strawberry.input
class WebhookSubscriptionInput:
    name: str
    url: str
    secret: str = strawberry.field(description="At least 16 characters; the HMAC-SHA256 key of X-Rapport-Signature.")
    topics: list[str] = strawberry.field(default_factory=lambda: ["*"])
    active: bool = True


@strawberry.type
class WebhookSubscriptionPayload:
    subscription: WebhookSubscription | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


def _problems(data: WebhookSubscriptionInput) -> list[FieldError]:
    problems = []
    if not data.name.strip() or len(data.name) > 100:
        problems.append(FieldError(message="name: 1 to 100 characters", path=["input", "name"], code=ErrorCode.INVALID))
    if not data.url.startswith(("https://", "http://")) or len(data.url) > 2000:
        problems.append(FieldError(message="url must be an http(s) URL", path=["input", "url"], code=ErrorCode.INVALID))
    if len(data.secret) < 16:
        problems.append(FieldError(message="secret must be at least 16 characters", path=["input", "secret"], code=ErrorCode.INVALID))
    if not data.topics:
        problems.append(FieldError(message="name at least one topic (or *)", path=["input", "topics"], code=ErrorCode.REQUIRED))
    return problems


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Webhook subscriptions (plugin rapport-webhooks).", extensions=[secured(RESOURCE, "read")])
    async def webhook_subscriptions(self) -> list[WebhookSubscription]:
        return [WebhookSubscription.of(row) for row in await SubscriptionRow.all().order_by("name")]

    @strawberry.field(description="The delivery log, newest first; filter by status (pending, delivered, failed) or subscription.",
                      extensions=[secured(RESOURCE, "read")])
    async def webhook_deliveries(self, status: str | None = None, subscription: str | None = None, first: int = 50) -> list[WebhookDelivery]:
        query = DeliveryRow.all().select_related("subscription", "event").order_by("-id").limit(max(1, min(first, 500)))
        if status:
            query = query.filter(status=status)
        if subscription:
            query = query.filter(subscription__name=subscription)
        return [WebhookDelivery.of(row) for row in await query]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Create or change a webhook subscription (by name).",
                         extensions=[secured(RESOURCE, "manage", forbidden(WebhookSubscriptionPayload))])
    async def save_webhook_subscription(self, input: WebhookSubscriptionInput) -> WebhookSubscriptionPayload:
        problems = _problems(input)
        if problems:
            return WebhookSubscriptionPayload(errors=problems)
        row = await webhooks.subscribe(input.name.strip(), input.url, input.secret, list(input.topics), input.active)
        return WebhookSubscriptionPayload(subscription=WebhookSubscription.of(row))

    @strawberry.mutation(description="Send a delivery again (one that failed for good, or one the receiver lost).",
                         extensions=[secured(RESOURCE, "manage", forbidden(WebhookDeliveryPayload))])
    async def replay_webhook_delivery(self, id: strawberry.ID) -> WebhookDeliveryPayload:
        row = await webhooks.replay(int(id)) if str(id).isdigit() else None
        if row is None:
            return WebhookDeliveryPayload(errors=[FieldError(message="no such delivery", path=["id"], code=ErrorCode.NOT_FOUND)])
        return WebhookDeliveryPayload(delivery=WebhookDelivery.of(row))
