"""Live fan-out after commit: ``publish(channel, message)`` reaches every ``subscribe(channel)`` of every process.

    await bus.publish("ticket", {"id": 7, "topic": "ticket.transitioned"})      # after the transaction commits

    async with bus.subscribe("ticket") as messages:
        async for message in messages:
            ...

Embedded (no redis): an in-process bus, queues per subscriber. Production (``RAPPORT_REDIS_URL``): one
redis pub/sub connection per process listens to ``rapport:bus:*`` and feeds the same local queues, and
``publish`` goes through redis only, so every process (this one included) receives each message once.

This is a live feed, not a log: a subscriber that connects later, or one whose queue overflows (it
reads too slowly), misses messages - the durable record is the database and the outbox. Messages are
small JSON objects (ids and names, no personal data): subscribers re-read what they may see.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
import structlog

log = structlog.get_logger("rapport.bus")

Message = dict[str, Any]
PREFIX = "rapport:bus:"
QUEUE_SIZE = 1_000
_CLOSED = object()


class Subscription:
    """The messages of one channel for one subscriber, in publishing order."""

    def __init__(self, channel: str, size: int = QUEUE_SIZE) -> None:
        self.channel = channel
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def offer(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:  # a slow reader loses the oldest message, never blocks the others
            self.dropped += 1
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(message)

    def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(_CLOSED)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message:
        item = await self.queue.get()
        if item is _CLOSED:
            raise StopAsyncIteration
        return item


class LocalBus:
    """In-process fan-out (the embedded mode, and the local half of the redis bus)."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, set[Subscription]] = {}
        self.closed = False

    async def start(self) -> None:
        self.closed = False

    async def stop(self) -> None:
        """End every subscription (their streams complete): the process is shutting down."""
        self.closed = True
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription.close()

    async def publish(self, channel: str, message: Message) -> None:
        self.deliver(channel, message)

    def deliver(self, channel: str, message: Message) -> None:
        for subscription in tuple(self._subscriptions.get(channel, ())):
            subscription.offer(message)

    async def ready(self) -> None:
        """Return once messages published from now on will be delivered (redis: once subscribed)."""

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(channel)
        if self.closed:
            subscription.close()
        self._subscriptions.setdefault(channel, set()).add(subscription)
        try:
            await self.ready()
            yield subscription
        finally:
            subscribers = self._subscriptions.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscriptions[channel]

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscriptions.get(channel, ()))


class RedisBus(LocalBus):
    """Fan-out across processes through redis pub/sub (one listening connection per process)."""

    RECONNECT_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self._client: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        import redis.asyncio as redis

        await super().start()
        self._client = redis.from_url(self.url)
        self._listener = asyncio.create_task(self._listen(), name="rapport-bus-listener")

    async def stop(self) -> None:
        await super().stop()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def publish(self, channel: str, message: Message) -> None:
        if self._client is None:  # not started (a command-line process): nobody here listens anyway
            import redis.asyncio as redis

            async with redis.from_url(self.url) as client:
                await client.publish(self.prefix + channel, orjson.dumps(message))
            return
        await self._client.publish(self.prefix + channel, orjson.dumps(message))

    async def ready(self) -> None:
        if self._listener is not None:
            await asyncio.wait_for(self._subscribed.wait(), timeout=10)

    async def _listen(self) -> None:
        attempt = 0
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.prefix + "*")
                self._subscribed.set()
                attempt = 0
                async for raw in pubsub.listen():
                    if raw.get("type") != "pmessage":
                        continue
                    channel = raw["channel"].decode() if isinstance(raw["channel"], bytes) else raw["channel"]
                    try:
                        message = orjson.loads(raw["data"])
                    except orjson.JSONDecodeError:
                        log.warning("bus: ignoring a message that is not JSON", channel=channel)
                        continue
                    self.deliver(channel.removeprefix(self.prefix), message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # redis went away: reconnect, subscribers stay
                self._subscribed.clear()
                delay = self.RECONNECT_SECONDS[min(attempt, len(self.RECONNECT_SECONDS) - 1)]
                attempt += 1
                log.warning("bus: redis connection lost, reconnecting", error=str(error), retry_in=delay)
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


# --- the process-wide bus -----------------------------------------------------------------------------------

_bus: LocalBus = LocalBus()


def current() -> LocalBus:
    return _bus


async def start(redis_url: str | None, namespace: str = "rapport") -> LocalBus:
    """Use redis when a URL is given (channels ``<namespace>:bus:<channel>``), the in-process bus otherwise;
    subscribers of a replaced bus are ended."""
    global _bus
    await _bus.stop()
    _bus = RedisBus(redis_url, prefix=f"{namespace}:bus:") if redis_url else LocalBus()
    await _bus.start()
    return _bus


async def stop() -> None:
    """End every subscription and disconnect; the process is left with a fresh in-process bus."""
    global _bus
    stopping, _bus = _bus, LocalBus()
    await stopping.stop()


async def publish(channel: str, message: Message) -> None:
    """Publish after commit. A failure is logged, never raised: the change itself is already committed."""
    try:
        await _bus.publish(channel, message)
    except Exception as error:
        log.warning("bus: publish failed", channel=channel, error=str(error))


def subscribe(channel: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
    return _bus.subscribe(channel)
