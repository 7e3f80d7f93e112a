"""Policy changes reach every process: a small redis notifier (publish after commit, reload on receipt).

After a change commits, :mod:`rapport.authz.store` invalidates this process's engine and awaits its
``on_policy_changed`` hooks; the notifier's hook publishes ``{"instance": <this process>, "version": N}``
on the channel ``<RAPPORT_REDIS_NAMESPACE>:policy`` (``rapport:policy`` by default). Every app process subscribes; a message from another instance with a
version newer than the engine's rebuilds the engine at once (messages from itself are ignored: the store
already invalidated it). Pub/sub is at-most-once: a message sent while a subscriber reconnects is lost.
The engine's version poll (``RAPPORT_POLICY_POLL_INTERVAL``, 0.5 s by default) is the safety net, and
after every reconnect the engine is invalidated, since messages may have been missed meanwhile.

Embedded mode (no redis) needs none of this: one process, and the store invalidates its engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Callable
from typing import Any

import orjson
import structlog
from redis.asyncio import Redis

from rapport.authz import store
from rapport.authz.enforcer import PolicyEngine, get_engine

log = structlog.get_logger("rapport.authz")


def channel_for(namespace: str) -> str:
    """The policy channel of a redis namespace (``RAPPORT_REDIS_NAMESPACE``): deployments sharing one redis
    under different namespaces never rebuild each other's engines."""
    return f"{namespace}:policy"


CHANNEL = channel_for("rapport")


def new_instance_id() -> str:
    """Unique per process start: host, pid and a random part (pids repeat across hosts and restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def encode(instance: str, version: int) -> bytes:
    return orjson.dumps({"instance": instance, "version": version})


def decode(data: Any) -> tuple[str, int] | None:
    """(instance, version) of a message; None for anything else on the channel."""
    try:
        payload = orjson.loads(data)
        return str(payload["instance"]), int(payload["version"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


class PolicyNotifier:
    """Publishes this process's policy changes and applies the other processes' ones.

    ``start()`` registers the publishing hook and subscribes in a background task (waiting up to
    ``ready_timeout`` seconds for the subscription; when redis is down the task keeps retrying and the
    version poll carries changes meanwhile); ``stop()`` undoes both and closes the connection.
    """

    def __init__(
        self,
        redis_url: str | None = None,
        *,
        client: Redis | None = None,
        channel: str = CHANNEL,
        instance_id: str | None = None,
        engine: Callable[[], PolicyEngine] = get_engine,
        reconnect_delay: float = 1.0,
    ) -> None:
        if client is None and redis_url is None:
            raise ValueError("PolicyNotifier needs a redis_url or a client")
        self._client = client
        self._owns_client = client is None
        self._redis_url = redis_url
        self.channel = channel
        self.instance_id = instance_id or new_instance_id()
        self._engine = engine
        self.reconnect_delay = reconnect_delay
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()
        self.applied: list[int] = []  # versions announced by other instances that this one reloaded for

    @property
    def client(self) -> Redis:
        if self._client is None:
            assert self._redis_url is not None
            self._client = Redis.from_url(self._redis_url)
        return self._client

    # --- lifecycle ---------------------------------------------------------------------------------------

    async def start(self, ready_timeout: float = 5.0) -> None:
        if self._task is not None:
            return
        store.on_policy_changed.append(self.publish)
        self._task = asyncio.create_task(self._listen(), name=f"rapport-policy-notifier:{self.instance_id}")
        try:
            await asyncio.wait_for(self.subscribed.wait(), ready_timeout)
        except TimeoutError:
            log.warning("policy notifier not subscribed yet: relying on the version poll until it is",
                        channel=self.channel)
        else:
            log.info("policy notifier subscribed", channel=self.channel, instance=self.instance_id)

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            store.on_policy_changed.remove(self.publish)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None
        self.subscribed.clear()

    async def __aenter__(self) -> PolicyNotifier:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- publishing --------------------------------------------------------------------------------------

    async def publish(self, version: int) -> None:
        """The ``on_policy_changed`` hook: announce ``version`` (the store logs a failure; the poll remains)."""
        await self.client.publish(self.channel, encode(self.instance_id, version))

    # --- receiving ---------------------------------------------------------------------------------------

    async def _listen(self) -> None:
        connected_before = False
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if connected_before:  # messages sent while we were away are gone: check the version
                    self._engine().invalidate()
                    log.info("policy notifier resubscribed", channel=self.channel)
                connected_before = True
                self.subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self.apply(message.get("data"))
                raise ConnectionError("the subscription ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - redis down, connection reset: retry, the poll covers us
                self.subscribed.clear()
                log.warning("policy notifier lost redis, retrying", error=str(exc), delay=self.reconnect_delay)
                await asyncio.sleep(self.reconnect_delay)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def apply(self, data: Any) -> bool:
        """Handle one message; True when it rebuilt (or invalidated) this process's engine."""
        decoded = decode(data)
        if decoded is None:
            log.warning("ignoring a malformed policy message", channel=self.channel)
            return False
        instance, version = decoded
        if instance == self.instance_id:
            return False
        engine = self._engine()
        if engine.version is not None and version <= engine.version:
            return False  # already built from this version (or a newer one)
        engine.invalidate()
        if engine.compiled is not None:  # never built: the next request builds it anyway
            try:
                await engine.reload_if_stale()
            except Exception:  # noqa: BLE001 - the engine stays invalidated: the next request reloads
                log.exception("policy reload after a notification failed", version=version)
        self.applied.append(version)
        log.info("policy change from another process applied", version=version, source=instance)
        return True
