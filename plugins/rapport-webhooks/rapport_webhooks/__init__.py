"""rapport-webhooks: domain events to configured URLs as signed HTTP POSTs.

- Events come from Rapport's outbox relay (``on_event``): each one becomes a pending delivery per
  active subscription whose topics match.
- The job ``rapport-webhooks.send`` (every ``RAPPORT_WEBHOOKS_INTERVAL`` seconds, default 1) sends them:
  ``X-Rapport-Signature: sha256=<HMAC-SHA256(secret, "<timestamp>.<body>")>``, ``X-Rapport-Timestamp``,
  ``X-Rapport-Event``, ``X-Rapport-Delivery``; a non-2xx answer or an unreachable receiver is retried
  with exponential backoff (5 s, 10 s, ... at most an hour) up to ``RAPPORT_WEBHOOKS_MAX_ATTEMPTS``
  (default 10), then the delivery is ``failed`` until replayed.
- Subscriptions: GraphQL ``saveWebhookSubscription`` (needs manage on ``integration``), or
  ``RAPPORT_WEBHOOKS`` = a JSON list of ``{"name", "url", "secret", "topics"}`` applied at start.
- The delivery log: GraphQL ``webhookDeliveries``; ``replayWebhookDelivery(id)`` sends one again.
- Receivers check requests with :func:`rapport_webhooks.delivery.verify`.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

from rapport import hookimpl
from rapport.plugin_api import Event, GraphQLExtensions, PeriodicJob
from rapport_webhooks.delivery import fan_out, send_due, subscribe, verify

__version__ = "0.1.0"
__all__ = ["send_due", "subscribe", "verify"]

SEND_JOB = "rapport-webhooks.send"


@hookimpl
async def on_event(event: Event) -> None:
    await fan_out(event)


async def _send() -> None:
    await send_due()


@hookimpl
def periodic_jobs() -> list[PeriodicJob]:
    return [PeriodicJob(SEND_JOB, timedelta(seconds=float(os.environ.get("RAPPORT_WEBHOOKS_INTERVAL", "1"))), _send)]


@hookimpl
def graphql_extensions() -> GraphQLExtensions:
    from rapport_webhooks.graphql import WebhookMutation, WebhookQuery

    return GraphQLExtensions(query=(WebhookQuery,), mutation=(WebhookMutation,))


@hookimpl
async def startup() -> None:
    """Subscriptions configured in the environment (RAPPORT_WEBHOOKS) are created or updated."""
    configured = os.environ.get("RAPPORT_WEBHOOKS")
    if not configured:
        return
    for item in json.loads(configured):
        await subscribe(item["name"], item["url"], item["secret"], list(item.get("topics") or ["*"]), bool(item.get("active", True)))
