"""The database is too busy to answer in time: no free connection, a lock or statement timeout.

Such a failure is not a bug and not the caller's fault; the answer is SERVICE_UNAVAILABLE with
``Retry-After`` (HTTP 503), never a long wait nor an INTERNAL_ERROR.
"""

from __future__ import annotations

import sqlite3

import asyncpg
from tortoise.exceptions import OperationalError

RETRY_AFTER_SECONDS = 1
MESSAGE = "The service is busy; retry after the time in Retry-After."

# PostgreSQL: lock_timeout (55P03) and statement_timeout (57014).
_POSTGRES_TIMEOUTS = (asyncpg.exceptions.LockNotAvailableError, asyncpg.exceptions.QueryCanceledError)
# SQLite: busy_timeout passed while another connection held the lock.
_SQLITE_BUSY = ("database is locked", "database table is locked")


class DatabaseBusy(Exception):
    """No database connection became free within the pool timeout."""


def is_database_busy(error: BaseException | None) -> bool:
    """True when ``error`` (or an error it was raised from) says the database was too busy to answer."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (DatabaseBusy, *_POSTGRES_TIMEOUTS)):
            return True
        if isinstance(error, (sqlite3.OperationalError, OperationalError)) and str(error).startswith(_SQLITE_BUSY):
            return True
        error = error.__cause__ or error.__context__
    return False
