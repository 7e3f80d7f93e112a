"""tortoise's asyncpg client with a bounded wait for a pooled connection.

tortoise acquires with ``pool.acquire()`` and no timeout: with every connection held by writers queued
on a row lock, each further request waited for as long as the lock was held. The pool handed to tortoise
acquires with asyncpg's own timeout instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from rapport.db_busy import DatabaseBusy


class BoundedPool:
    """An asyncpg pool whose ``acquire()`` gives up after ``timeout`` seconds."""

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self._pool = pool
        self.timeout = timeout

    async def acquire(self) -> asyncpg.Connection:
        try:
            return await self._pool.acquire(timeout=self.timeout)
        except asyncio.TimeoutError as error:
            raise DatabaseBusy(f"no database connection free within {self.timeout} s") from error

    def __getattr__(self, name: str) -> Any:  # release, close, terminate, expire_connections, ...
        return getattr(self._pool, name)


class BoundedAsyncpgClient(AsyncpgDBClient):
    def __init__(self, *, pool_timeout: float = 5.0, **kwargs: Any) -> None:
        self.pool_timeout = float(pool_timeout)
        super().__init__(**kwargs)

    async def create_pool(self, **kwargs: Any) -> Any:
        return BoundedPool(await super().create_pool(**kwargs), self.pool_timeout)


client_class = BoundedAsyncpgClient
