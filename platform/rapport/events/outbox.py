"""Write a domain event to the outbox inside the change's own transaction.

If the transaction rolls back, the event was never written; if it commits, the event will be
delivered (at least once, in order per entity) by the relay.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from rapport.models import OutboxEvent

TOPICS = frozenset({
    "customer.created", "customer.updated", "customer.merged", "customer.deleted",
    "interaction.logged",
    "ticket.opened", "ticket.updated", "ticket.transitioned", "ticket.assigned", "ticket.rated",
    "ticket.sla_warning", "ticket.sla_breached", "ticket.escalated",
    "policy.changed",
})


async def emit(
    conn: BaseDBAsyncClient, topic: str, entity: str, entity_id: int | str, payload: dict[str, Any] | None = None
) -> OutboxEvent:
    """Record ``topic`` for ``entity``/``entity_id``. Payloads carry ids and changed field names, not PII."""
    if topic not in TOPICS:
        raise ValueError(f"unknown event topic {topic!r}")
    now = datetime.now(UTC)
    return await OutboxEvent.create(
        using_db=conn, topic=topic, entity=entity, entity_id=str(entity_id), payload=payload or {}, available_at=now
    )
