"""Jobs run in-process without redis, and through the redis queue in a ``rapport worker`` process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from rapport.jobs.broker import build_broker
from rapport.jobs.maintenance import purge_idempotency_records
from rapport.models import IdempotencyRecord
from tests.conftest import TEST_REDIS_URL


async def _records(old: int, fresh: int) -> None:
    for i in range(old + fresh):
        record = await IdempotencyRecord.create(scope="logInteraction:user:a", key=f"k{i}", request_hash="h", entity="interaction")
        if i < old:
            await IdempotencyRecord.filter(id=record.id).update(created_at=datetime.now(UTC) - timedelta(days=2))


async def test_purge_forgets_only_expired_idempotency_keys(db) -> None:
    await _records(old=3, fresh=2)
    removed = await purge_idempotency_records()
    assert removed == 3
    assert sorted(await IdempotencyRecord.all().values_list("key", flat=True)) == ["k3", "k4"]


async def test_embedded_mode_runs_a_kicked_job_in_process(db, settings) -> None:
    if settings.redis_url:
        pytest.skip("embedded leg only")
    await _records(old=2, fresh=1)
    task = await purge_idempotency_records.kiq()
    result = await task.wait_result(timeout=5)
    assert result.return_value == 2 and await IdempotencyRecord.all().count() == 1


async def test_worker_process_runs_jobs_from_the_redis_queue(db, settings, database_url) -> None:
    if not TEST_REDIS_URL:
        pytest.skip("real leg only (RAPPORT_TEST_REDIS_URL unset)")
    await _records(old=4, fresh=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_REDIS_URL": TEST_REDIS_URL, "RAPPORT_SECRET_KEY": settings.signing_key,
            "RAPPORT_REDIS_NAMESPACE": settings.redis_namespace}
    worker = subprocess.Popen(
        [sys.executable, "-m", "rapport.cli", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    broker = build_broker(settings)
    await broker.startup()
    try:
        await purge_idempotency_records.kicker().with_broker(broker).kiq()
        for _ in range(100):
            if await IdempotencyRecord.all().count() == 1:
                break
            await asyncio.sleep(0.2)
        assert await IdempotencyRecord.all().count() == 1, "the worker did not run the job within 20 s"
    finally:
        await broker.shutdown()
        worker.send_signal(signal.SIGTERM)
        try:
            output = worker.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
    assert worker.returncode == 0, output
