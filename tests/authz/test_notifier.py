"""The redis notifier: a change published by one process rebuilds another's engine at once (both legs:
fakeredis on the embedded leg, the real redis on the real leg)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from rapport.authz import store
from rapport.authz.enforcer import PolicyEngine
from rapport.authz.notifier import PolicyNotifier, encode
from rapport.authz.rules import Rule
from rapport.models import Department
from tests.conftest import TEST_REDIS_URL

EXPORT = Rule("role:agent", "*", "customer", "export", "dept", "allow")


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    if TEST_REDIS_URL:
        client = Redis.from_url(TEST_REDIS_URL)
    else:
        import fakeredis

        client = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    yield client
    await client.aclose()


@pytest.fixture
def channel() -> str:
    return f"rapport:policy:test:{uuid.uuid4().hex[:8]}"  # never the channel real servers use


@pytest.fixture
async def seeded(db) -> None:
    await Department.create(code="sales", name="Sales")
    await store.seed_default_policy()


async def until(condition, timeout: float = 2.0) -> float:
    """Seconds until ``condition()`` held (fails after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "condition not met in time"
        await asyncio.sleep(0.005)
    return time.monotonic() - start


async def test_a_change_published_by_one_process_rebuilds_the_other_at_once(seeded, redis_client, channel) -> None:
    # Two "processes": A (the global engine, where the change is made) and B (its own engine, which
    # never polls here, so only the message can bring it the change).
    engine_b = PolicyEngine(poll_interval=3600)
    await engine_b.current()
    assert engine_b.version == 1
    a = PolicyNotifier(client=redis_client, channel=channel, instance_id="A")
    b = PolicyNotifier(client=redis_client, channel=channel, instance_id="B", engine=lambda: engine_b)
    async with a, b:
        assert a.subscribed.is_set() and b.subscribed.is_set()
        store.on_policy_changed.remove(b.publish)  # B is another process: this process's changes are A's
        version = await store.add_rule(EXPORT, by="cli:test")
        waited = await until(lambda: engine_b.version == version)
        assert waited < 1.0
        assert b.applied == [version]
        await asyncio.sleep(0.05)
        assert a.applied == []  # A made the change: it ignores its own message (the store invalidated it)
        assert engine_b.compiled.enforce("role:agent", "sales", "customer", "export", "dept")
    assert a.publish not in store.on_policy_changed and b.publish not in store.on_policy_changed


async def test_old_malformed_and_own_messages_change_nothing(seeded, redis_client, channel) -> None:
    engine = PolicyEngine(poll_interval=3600)
    await engine.current()
    built = engine.compiled
    notifier = PolicyNotifier(client=redis_client, channel=channel, instance_id="me", engine=lambda: engine)
    assert not await notifier.apply(b"not json")
    assert not await notifier.apply(b'{"version": 9}')
    assert not await notifier.apply(encode("me", 9))
    assert not await notifier.apply(encode("other", 1))  # the version this engine has already
    assert engine.compiled is built and notifier.applied == []
    # A newer version: rebuilt (the stored version is what counts, whatever the message claims).
    await store.add_rule(EXPORT, by="cli:test")
    assert await notifier.apply(encode("other", 2))
    assert engine.compiled is not built and engine.version == 2


async def test_an_engine_never_built_is_only_invalidated(seeded, redis_client, channel) -> None:
    engine = PolicyEngine(poll_interval=3600)
    notifier = PolicyNotifier(client=redis_client, channel=channel, instance_id="me", engine=lambda: engine)
    assert await notifier.apply(encode("other", 5))
    assert engine.compiled is None  # the first request builds it


async def test_a_publish_failure_leaves_the_change_committed(seeded, channel) -> None:
    # redis unreachable: the store logs the failing hook, the change stays (the poll propagates it).
    broken = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    notifier = PolicyNotifier(client=broken, channel=channel, reconnect_delay=0.05)
    await notifier.start(ready_timeout=0.3)
    try:
        assert not notifier.subscribed.is_set()
        assert await store.add_rule(EXPORT, by="cli:test") == 2
    finally:
        await notifier.stop()
        await broken.aclose()
    assert notifier.publish not in store.on_policy_changed


async def test_deployments_sharing_a_redis_listen_on_their_own_namespace(db, settings, redis_client) -> None:
    if not TEST_REDIS_URL:
        pytest.skip("real leg only (RAPPORT_TEST_REDIS_URL unset): the app's notifier needs a redis URL")
    from rapport.app import _start_policy_notifier

    namespace = f"tenant-{uuid.uuid4().hex[:8]}"
    notifier = await _start_policy_notifier(settings.model_copy(update={"redis_url": TEST_REDIS_URL,
                                                                         "redis_namespace": namespace}))
    assert notifier is not None
    try:
        subscribers = dict(await redis_client.pubsub_numsub(f"{namespace}:policy", "rapport:policy"))
        assert subscribers[f"{namespace}:policy".encode()] == 1
        assert notifier.channel == f"{namespace}:policy"
    finally:
        await notifier.stop()
