"""Webhook deliveries: one row per (subscription, event), sent signed, retried with backoff, logged.

Signing: ``X-Rapport-Signature: sha256=<hex>`` is HMAC-SHA256 with the subscription's secret over
``<timestamp>.<body>``, where ``X-Rapport-Timestamp`` is the Unix time of the attempt. A receiver
recomputes it (:func:`verify`) and refuses old timestamps (replays of a captured request).

Order: per subscription, the events of one entity are sent in event order. A delivery that failed
holds the later ones of its entity until it succeeds or fails for good; a receiver that cannot be
reached at all holds the whole subscription for the pass (one attempt per pass, not one per
delivery), so when it comes back everything goes out, in order.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import structlog
from tortoise.exceptions import IntegrityError

from rapport.models import WebhookDelivery, WebhookSubscription
from rapport.plugin_api import Event

log = structlog.get_logger("rapport_webhooks")

SIGNATURE_HEADER = "X-Rapport-Signature"
TIMESTAMP_HEADER = "X-Rapport-Timestamp"
EVENT_HEADER = "X-Rapport-Event"
DELIVERY_HEADER = "X-Rapport-Delivery"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)
TIMEOUT = 10.0
BATCH = 500


def max_attempts() -> int:
    return int(os.environ.get("RAPPORT_WEBHOOKS_MAX_ATTEMPTS", "10"))


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(attempts - 1, 0)))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, timestamp: str, signature: str, *, tolerance: int = 300, now: float | None = None) -> bool:
    """For receivers: the signature is ours and the timestamp recent (``tolerance`` seconds)."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - moment) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, moment, body), signature or "")


def matches(topics: list[str], topic: str) -> bool:
    """``*`` matches every topic, ``ticket.*`` every ticket event, else the exact topic."""
    for pattern in topics or []:
        if pattern == "*" or pattern == topic or (pattern.endswith(".*") and topic.startswith(pattern[:-1])):
            return True
    return False


async def fan_out(event: Event) -> int:
    """One pending delivery per active subscription that wants ``event`` (idempotent: the relay may
    hand the same event over again)."""
    made = 0
    for subscription in await WebhookSubscription.filter(active=True):
        if not matches(subscription.topics, event.topic):
            continue
        if await WebhookDelivery.exists(subscription_id=subscription.id, event_id=event.id):
            continue
        try:
            await WebhookDelivery.create(subscription_id=subscription.id, event_id=event.id, status=PENDING)
            made += 1
        except IntegrityError:  # made by a concurrent delivery of the same event
            pass
    return made


def body_of(delivery: WebhookDelivery) -> bytes:
    """The request body: the same bytes for every attempt and replay of a delivery."""
    event = delivery.event
    return orjson.dumps({
        "id": delivery.id,
        "event": {
            "id": event.id, "topic": event.topic, "entity": event.entity, "entityId": event.entity_id,
            "payload": event.payload or {}, "createdAt": event.created_at.isoformat(),
        },
    })


@dataclass
class SendReport:
    delivered: int = 0
    failed: int = 0  # will be retried
    gave_up: int = 0  # status failed: replay to try again
    errors: list[str] = field(default_factory=list)


async def _attempt(client: httpx.AsyncClient, delivery: WebhookDelivery, now: datetime) -> tuple[bool, int | None, str | None, bool]:
    """(ok, status code, error, the receiver was unreachable)."""
    body = body_of(delivery)
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(delivery.subscription.secret, stamp, body),
        TIMESTAMP_HEADER: str(stamp),
        EVENT_HEADER: delivery.event.topic,
        DELIVERY_HEADER: str(delivery.id),
    }
    try:
        response = await client.post(delivery.subscription.url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.TransportError as exc:
        return False, None, f"{exc.__class__.__name__}: {exc}"[:2000], True
    if 200 <= response.status_code < 300:
        return True, response.status_code, None, False
    return False, response.status_code, f"HTTP {response.status_code}: {response.text[:500]}", False


async def send_due(now: datetime | None = None, *, client: httpx.AsyncClient | None = None, limit: int = BATCH,
                   attempts_allowed: int | None = None) -> SendReport:
    """Send every due pending delivery (oldest event first), keeping the order per subscription and entity."""
    now = now or datetime.now(UTC)
    allowed = attempts_allowed or max_attempts()
    report = SendReport()
    pending = await WebhookDelivery.filter(status=PENDING).select_related("subscription", "event").order_by("event_id", "id").limit(limit)
    if not pending:
        return report
    own_client = client is None
    client = client or httpx.AsyncClient()
    held: set[tuple[Any, ...]] = set()
    try:
        for delivery in pending:
            entity = (delivery.subscription_id, delivery.event.entity, delivery.event.entity_id)
            if entity in held or (delivery.subscription_id,) in held:
                continue
            if not delivery.subscription.active or (delivery.next_attempt_at is not None and delivery.next_attempt_at > now):
                held.add(entity)
                continue
            ok, code, error, unreachable = await _attempt(client, delivery, now)
            attempts = delivery.attempts + 1
            if ok:
                await WebhookDelivery.filter(id=delivery.id).update(
                    status=DELIVERED, attempts=attempts, response_code=code, last_error=None, delivered_at=now, next_attempt_at=None)
                report.delivered += 1
                continue
            gave_up = attempts >= allowed
            await WebhookDelivery.filter(id=delivery.id).update(
                status=FAILED if gave_up else PENDING, attempts=attempts, response_code=code, last_error=error,
                next_attempt_at=None if gave_up else now + backoff(attempts))
            report.errors.append(f"{delivery.subscription.name} delivery {delivery.id}: {error}")
            log.warning("webhook delivery failed", subscription=delivery.subscription.name, delivery=delivery.id,
                        attempts=attempts, gave_up=gave_up, error=error)
            if gave_up:
                report.gave_up += 1
                continue
            report.failed += 1
            held.add((delivery.subscription_id,) if unreachable else entity)
    finally:
        if own_client:
            await client.aclose()
    return report


async def replay(delivery_id: int) -> WebhookDelivery | None:
    """Send a delivery again (a failed one, or a delivered one the receiver lost): pending, due now."""
    updated = await WebhookDelivery.filter(id=delivery_id).update(status=PENDING, attempts=0, next_attempt_at=None, last_error=None)
    return await WebhookDelivery.get(id=delivery_id).select_related("subscription", "event") if updated else None


async def subscribe(name: str, url: str, secret: str, topics: list[str], active: bool = True) -> WebhookSubscription:
    """Create or change the subscription ``name``."""
    subscription, created = await WebhookSubscription.get_or_create(
        name=name, defaults={"url": url, "secret": secret, "topics": topics, "active": active})
    if not created:
        await WebhookSubscription.filter(id=subscription.id).update(url=url, secret=secret, topics=topics, active=active)
        subscription = await WebhookSubscription.get(id=subscription.id)
    return subscription
