"""Report results cached for a short time: in redis when configured (shared by every process), else in
this process.

The key is a hash of the database, the report, its arguments, the viewer's scope signature and the data
versions of the tables it reads (:mod:`rapport.services.data_versions`). A write anywhere bumps a
version in its own transaction, so an entry computed before it is never found again; the TTL only
bounds how long unreachable entries take space (and covers writes made outside the services). Redis
trouble is logged and the report computed as if nothing were cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from typing import Any, Protocol

import orjson
import structlog
from redis.asyncio import Redis

log = structlog.get_logger("rapport.reports")

TTL_SECONDS = 60
LOCAL_MAX_ENTRIES = 512
KEY_PREFIX = "rapport:report:"
DEFINITIONS_REVISION = 1  # bump when a definition changes: results of the old one stop matching


class ReportCache(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...
    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None: ...
    async def clear(self) -> None: ...


def namespace_of(database_url: str) -> str:
    """Keys of two databases sharing a redis never meet (the URL is hashed, never stored)."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:12]


def cache_key(namespace: str, parts: dict[str, Any]) -> str:
    digest = hashlib.sha256(orjson.dumps({"rev": DEFINITIONS_REVISION, **parts}, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"{KEY_PREFIX}{namespace}:{digest}"


class LocalCache:
    """In-process: a small LRU dictionary with expiry (embedded mode: one process)."""

    def __init__(self, max_entries: int = LOCAL_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> dict[str, Any] | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, value = found
        if expires <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return orjson.loads(value)

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        self._entries[key] = (time.monotonic() + ttl, orjson.dumps(value))
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def clear(self) -> None:
        self._entries.clear()


class RedisCache:
    """Shared by every process of the deployment; one client per event loop (redis clients are bound to one)."""

    def __init__(self, url: str, namespace: str) -> None:
        self.url = url
        self.namespace = namespace
        self._clients: dict[int, tuple[asyncio.AbstractEventLoop, Redis]] = {}

    def _client(self) -> Redis:
        loop = asyncio.get_running_loop()
        found = self._clients.get(id(loop))
        if found is None or found[0] is not loop:
            self._clients = {k: v for k, v in self._clients.items() if not v[0].is_closed()}
            found = self._clients[id(loop)] = (loop, Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2))
        return found[1]

    async def get(self, key: str) -> dict[str, Any] | None:
        try:
            value = await self._client().get(key)
        except Exception as exc:  # noqa: BLE001 - a cache must never fail a report
            log.warning("report cache unavailable", error=str(exc))
            return None
        return orjson.loads(value) if value is not None else None

    async def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        try:
            await self._client().set(key, orjson.dumps(value), ex=max(1, int(ttl)))
        except Exception as exc:  # noqa: BLE001
            log.warning("report cache unavailable", error=str(exc))

    async def clear(self) -> None:
        """Drop this database's entries (tests; after restoring a backup, whose versions go back in time)."""
        client = self._client()
        async for key in client.scan_iter(match=f"{KEY_PREFIX}{self.namespace}:*", count=500):
            await client.delete(key)


_local = LocalCache()
_shared: dict[tuple[str, str], RedisCache] = {}


def cache_for(redis_url: str | None, database_url: str) -> tuple[ReportCache, str]:
    """The process's report cache for these settings, and the key namespace of the database."""
    namespace = namespace_of(database_url)
    if not redis_url:
        return _local, namespace
    cache = _shared.get((redis_url, namespace))
    if cache is None:
        cache = _shared[(redis_url, namespace)] = RedisCache(redis_url, namespace)
    return cache, namespace
