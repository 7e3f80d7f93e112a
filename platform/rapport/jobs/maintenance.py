"""Housekeeping jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport.jobs.broker import broker
from rapport.jobs.schedule import every
from rapport.models import IdempotencyRecord

IDEMPOTENCY_RETENTION = timedelta(hours=24)


@broker.task(task_name="rapport.purge_idempotency_records")
async def purge_idempotency_records(retention_hours: float = IDEMPOTENCY_RETENTION.total_seconds() / 3600) -> int:
    """Forget idempotency keys older than the retention period; return how many were removed."""
    cutoff = datetime.now(UTC) - timedelta(hours=retention_hours)
    return await IdempotencyRecord.filter(created_at__lt=cutoff).delete()


@every(3600, "rapport.purge_idempotency_hourly")
async def purge_idempotency_hourly() -> int:
    return await purge_idempotency_records()
