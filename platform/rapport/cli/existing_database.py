"""Commands that read or change data need a database that exists and is migrated: check before opening.

Opening a missing SQLite file creates an empty one, and a missing PostgreSQL database fails deep in the
driver; either way the user saw a long traceback. This says in one line what was looked for, and how to
point at another database, before anything is created.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tortoise import connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.recorder import MigrationRecorder

from rapport import migrations
from rapport.db import APP_LABEL
from rapport.settings import Settings

EXIT_STATUS = 2
HOW_TO_POINT = (
    "set RAPPORT_DATABASE_URL=... or run from the folder that holds rapport.db; "
    "`rapport migrate` or `rapport serve --demo` creates one"
)


class DatabaseNotReady(Exception):
    """The database a command needs is missing or unmigrated; the message is one line."""

    exit_status = EXIT_STATUS


def shown_database(settings: Settings) -> str:
    """The database as the user should see it: the resolved SQLite file, or the URL without its password."""
    if settings.is_sqlite:
        return str(_sqlite_file(settings) or ":memory:")
    parts = urlsplit(settings.database_url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    # The query may hold credentials too (?password=...): it is left out.
    return urlunsplit((parts.scheme, user + host, parts.path, "", ""))


def check_file_exists(settings: Settings) -> None:
    """SQLite: refuse before the driver opens (and so creates) a missing file."""
    path = _sqlite_file(settings) if settings.is_sqlite else None
    if path is not None and not path.is_file():
        raise DatabaseNotReady(f"no database at {path}: {HOW_TO_POINT}")


async def check_migrated(settings: Settings) -> None:
    """The open database reaches the server and has every migration of this version applied."""
    connection = connections.get("default")
    try:
        await connection.execute_query("SELECT 1")  # the recorder below reads "cannot connect" as "no migrations"
    except (DBConnectionError, OSError) as exc:  # OSError: the server refuses or cannot be resolved
        raise DatabaseNotReady(_connection_problem(settings, exc)) from None
    applied = await MigrationRecorder(connection).applied_migrations()
    done = {key.name for key in applied if key.app_label == APP_LABEL}
    if not done:
        raise DatabaseNotReady(f"the database {shown_database(settings)} has no tables yet: run `rapport migrate`")
    missing = [name for name in _shipped_migrations() if name not in done]
    if missing:
        raise DatabaseNotReady(
            f"the database {shown_database(settings)} lacks {len(missing)} migration(s) of this version: "
            "run `rapport migrate`"
        )


def _connection_problem(settings: Settings, exc: Exception) -> str:
    cause = exc.__cause__ or exc
    if type(cause).__name__ == "InvalidCatalogNameError":  # asyncpg's "no such database", without importing it
        return f"no database {shown_database(settings)}: {HOW_TO_POINT}"
    reason = (str(cause).splitlines() or [type(cause).__name__])[0]
    shown = shown_database(settings)
    return f"cannot reach the database {shown} ({reason}): set RAPPORT_DATABASE_URL=... to another one"


def _shipped_migrations() -> list[str]:
    return sorted(module.name for module in pkgutil.iter_modules(migrations.__path__) if module.name[:1].isdigit())


def _sqlite_file(settings: Settings) -> Path | None:
    file_path = expand_db_url(settings.database_url)["credentials"]["file_path"]
    if file_path == ":memory:" or file_path.startswith("file::memory:"):
        return None
    return Path(file_path).resolve()
