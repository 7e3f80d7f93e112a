"""The outbox relay: delivers committed domain events to every consumer (each plugin implementing
``on_event``), at least once, in order per entity, with retries and backoff, parking what keeps failing.

Per consumer, per pass: the oldest events it has not yet received (or given up on) are tried in id
order. An event whose earlier attempt failed waits for its backoff; while it waits, later events of
the same entity wait too (order per entity), other entities and other consumers go on. After
``RAPPORT_RELAY_MAX_ATTEMPTS`` failures the delivery is parked (``parked_at``): it no longer holds its
entity back, admins see it (``rapport outbox parked``, GraphQL ``parkedDeliveries``) and can retry it.

The delivery state is one ``OutboxDelivery`` row per (event, consumer). An event is marked delivered
(``delivered_at``) once every current consumer has delivered or parked it; the partial index
``idx_outbox_pending`` keeps the relay's reads on those pending events only.

Call :func:`relay_pass` (one pass; returns a report) from a loop: the scheduler
(``rapport.jobs.schedule``) does, in the app (embedded) and in each ``rapport worker``, under a lease
so that one process relays at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pluggy
import structlog
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.functions import Count

from rapport.models import OutboxDelivery, OutboxEvent
from rapport.plugin_api import Event
from rapport.plugin_host import PluginFailure, PluginHost

log = structlog.get_logger("rapport.relay")

BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(hours=1)
ERROR_MAX = 2000
COMPLETION_SCAN = 2000


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 2 s, 4 s, 8 s ... at most an hour."""
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(attempts - 1, 0)))


@dataclass
class RelayReport:
    delivered: int = 0
    failed: int = 0
    parked: int = 0
    completed: int = 0  # events now delivered to every consumer
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.delivered or self.failed or self.parked or self.completed)


def as_event(row: OutboxEvent, attempt: int = 1) -> Event:
    return Event(id=row.id, topic=row.topic, entity=row.entity, entity_id=row.entity_id, payload=dict(row.payload or {}),
                 created_at=row.created_at, attempt=attempt)


async def _undone_ids(consumer: str, batch: int) -> list[int]:
    """Pending events this consumer has neither received nor given up on, oldest first."""
    conn = connections.get("default")
    mark = "$1" if conn.capabilities.dialect == "postgres" else "?"
    sql = (
        "SELECT e.id FROM outbox_events e WHERE e.delivered_at IS NULL AND NOT EXISTS ("
        "SELECT 1 FROM outbox_deliveries d WHERE d.event_id = e.id AND d.consumer = " + mark + " "
        "AND (d.delivered_at IS NOT NULL OR d.parked_at IS NOT NULL)) "
        f"ORDER BY e.id LIMIT {int(batch)}"
    )
    return [row["id"] for row in await conn.execute_query_dict(sql, [consumer])]


def _error_text(exc: BaseException) -> str:
    original = exc.error if isinstance(exc, PluginFailure) and isinstance(exc.error, BaseException) else exc
    text = f"{original.__class__.__name__}: {original}" if not isinstance(original, str) else original
    return text[:ERROR_MAX]


async def _attempt(
    host: PluginHost, consumer: str, impl: pluggy.HookImpl, row: OutboxEvent, state: OutboxDelivery | None,
    now: datetime, report: RelayReport,
) -> bool:
    """Deliver ``row`` to one consumer; True when the entity may go on (delivered or parked)."""
    attempt = (state.attempts if state else 0) + 1
    try:
        await host.call_impl(impl, "on_event", event=as_event(row, attempt), settings=host.settings)
    except Exception as exc:  # a consumer's failure is recorded, never raised
        parked = attempt >= host.settings.relay_max_attempts
        values: dict[str, Any] = {
            "attempts": attempt, "last_error": _error_text(exc), "next_attempt_at": now + backoff(attempt),
            "parked_at": now if parked else None,
        }
        report.parked += parked
        report.failed += not parked
        report.errors.append(f"{consumer} event {row.id}: {values['last_error']}")
        log.warning("event delivery failed", consumer=consumer, event_id=row.id, topic=row.topic, attempt=attempt, parked=parked)
    else:
        values = {"attempts": attempt, "delivered_at": now, "last_error": None, "next_attempt_at": None}
        report.delivered += 1
        parked = False
    if state is None:
        await OutboxDelivery.create(event_id=row.id, consumer=consumer, **values)
    else:
        await OutboxDelivery.filter(id=state.id).update(**values)
    return parked or "delivered_at" in values


async def _deliver_to(host: PluginHost, consumer: str, impl: pluggy.HookImpl, now: datetime, batch: int, report: RelayReport) -> None:
    ids = await _undone_ids(consumer, batch)
    if not ids:
        return
    rows = await OutboxEvent.filter(id__in=ids).order_by("id")
    states = {s.event_id: s for s in await OutboxDelivery.filter(consumer=consumer, event_id__in=ids)}
    held: set[tuple[str, str]] = set()  # entities with an earlier event still to deliver
    for row in rows:
        entity = (row.entity, row.entity_id)
        if entity in held:
            continue
        state = states.get(row.id)
        waiting = (state is not None and state.next_attempt_at is not None and state.next_attempt_at > now) or row.available_at > now
        if waiting or not await _attempt(host, consumer, impl, row, state, now, report):
            held.add(entity)


async def _complete(consumers: list[str], now: datetime, report: RelayReport) -> None:
    """Mark events delivered that every current consumer has delivered or parked."""
    pending = await OutboxEvent.filter(delivered_at__isnull=True).order_by("id").limit(COMPLETION_SCAN).values_list("id", flat=True)
    if not pending:
        return
    if consumers:
        rows = await (
            OutboxDelivery.filter(event_id__in=pending, consumer__in=consumers)
            .filter(Q(delivered_at__isnull=False) | Q(parked_at__isnull=False))
            .annotate(n=Count("id")).group_by("event_id").values("event_id", "n")
        )
        done = {row["event_id"]: row["n"] for row in rows}
        complete = [pk for pk in pending if done.get(pk, 0) >= len(consumers)]
    else:
        complete = list(pending)
    if complete:
        report.completed += await OutboxEvent.filter(id__in=complete, delivered_at__isnull=True).update(delivered_at=now)


async def relay_pass(host: PluginHost | None = None, *, now: datetime | None = None, batch: int = 200) -> RelayReport:
    """One pass over the pending events for every consumer of ``host`` (default: the active one)."""
    if host is None:
        from rapport.plugins import active

        host = active()
    now = now or datetime.now(UTC)
    report = RelayReport()
    consumers = host.consumers()
    for consumer, impl in consumers:
        await _deliver_to(host, consumer, impl, now, batch, report)
    await _complete([name for name, _ in consumers], now, report)
    return report


async def relay_until_idle(host: PluginHost | None = None, *, now: datetime | None = None, max_passes: int = 50) -> RelayReport:
    """Passes until one delivers nothing new (tests, ``rapport outbox relay``); the reports summed."""
    total = RelayReport()
    for _ in range(max_passes):
        report = await relay_pass(host, now=now)
        total.delivered += report.delivered
        total.failed += report.failed
        total.parked += report.parked
        total.completed += report.completed
        total.errors += report.errors
        if not (report.delivered or report.completed):
            break
    return total


# --- administration ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxCounts:
    pending_events: int  # not yet delivered to (or parked by) every consumer
    retrying: int  # deliveries failed and waiting for their next attempt (or their first)
    parked: int  # deliveries the relay gave up on


async def counts() -> OutboxCounts:
    return OutboxCounts(
        pending_events=await OutboxEvent.filter(delivered_at__isnull=True).count(),
        retrying=await OutboxDelivery.filter(delivered_at__isnull=True, parked_at__isnull=True).count(),
        parked=await OutboxDelivery.filter(parked_at__isnull=False).count(),
    )


async def parked(consumer: str | None = None, limit: int = 100, before: int | None = None) -> list[OutboxDelivery]:
    """Parked deliveries, newest first, with their events; ``before``: only those with a smaller id (paging)."""
    query = OutboxDelivery.filter(parked_at__isnull=False).select_related("event")
    if consumer is not None:
        query = query.filter(consumer=consumer)
    if before is not None:
        query = query.filter(id__lt=before)
    return await query.order_by("-id").limit(limit)


async def retry(delivery_id: int, conn: BaseDBAsyncClient | None = None) -> bool:
    """Un-park a delivery (and reopen its event): the next pass tries it again, attempts counted afresh.
    False when there is no such parked delivery (unknown, delivered, or queued again meanwhile)."""
    state = await OutboxDelivery.get_or_none(id=delivery_id, using_db=conn)
    if state is None:
        return False
    still_parked = OutboxDelivery.filter(id=delivery_id, delivered_at__isnull=True, parked_at__isnull=False)
    if not await still_parked.using_db(conn).update(parked_at=None, attempts=0, next_attempt_at=None):
        return False
    await OutboxEvent.filter(id=state.event_id).using_db(conn).update(delivered_at=None)
    return True


async def purge_delivered(older_than: timedelta = timedelta(days=30), now: datetime | None = None) -> int:
    """Delete events delivered to everyone more than ``older_than`` ago (their delivery rows go with them)."""
    cutoff = (now or datetime.now(UTC)) - older_than
    return await OutboxEvent.filter(delivered_at__lt=cutoff).delete()
