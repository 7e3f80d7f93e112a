"""tortoise's SQLite client with a bounded wait for its one connection.

tortoise serializes every statement and transaction of the process on one asyncio lock; that lock
gives up after ``pool_timeout`` seconds here. Waits on other processes' locks are bounded by SQLite's
own ``busy_timeout`` (a PRAGMA, set from the lock timeout).
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from tortoise.backends.sqlite.client import SqliteClient

from rapport.db_busy import DatabaseBusy


class BoundedLock(asyncio.Lock):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    async def acquire(self) -> Literal[True]:
        try:
            return await asyncio.wait_for(super().acquire(), self.timeout)
        except asyncio.TimeoutError as error:
            raise DatabaseBusy(f"the database connection was not free within {self.timeout} s") from error


class BoundedSqliteClient(SqliteClient):
    def __init__(self, file_path: str, *, pool_timeout: float = 5.0, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)  # every other keyword becomes a PRAGMA
        self._lock = BoundedLock(float(pool_timeout))


client_class = BoundedSqliteClient
