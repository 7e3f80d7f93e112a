"""Apply and write schema migrations with tortoise-orm's native, operation-based migrations.

The same migration files apply on SQLite and PostgreSQL: operations (CreateModel, AddField, ...) are
turned into SQL by the database's own schema editor at apply time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter, format_migration_name

from rapport.db import APP_LABEL, tortoise_config
from rapport.settings import Settings


async def migrate(
    settings: Settings | str, progress: Callable[[str], None] | None = None, target: str | None = None
) -> None:
    """Apply every migration not yet applied (or up to ``target``, e.g. "rapport.0003_...")."""

    def report(event: str, app_label: str, name: str) -> None:
        if progress and event == "apply_done":
            progress(f"applied {app_label}.{name}")

    # An own context: tortoise's migrate() initialises "the current context", and outside one it would
    # bind a new context to the caller's task, shadowing the application's connections afterwards.
    async with TortoiseContext():
        await tortoise_migrate(config=tortoise_config(settings, statement_timeout=False), progress=report, target=target)


async def pending_changes(settings: Settings | str) -> list[MigrationWriter]:
    """Migrations that the models need but that do not exist yet (empty when all is in sync)."""
    config = tortoise_config(settings)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        detector = MigrationAutodetector(ctx.apps, {APP_LABEL: config["apps"][APP_LABEL]})
        return await detector.changes()


async def make_migrations(settings: Settings | str, name: str | None = None) -> list[Path]:
    """Write the migration files the model changes need; return their paths."""
    written: list[Path] = []
    for writer in await pending_changes(settings):
        if name:
            number = int(writer.name.split("_", 1)[0])
            writer.name = format_migration_name(number, name)
        written.append(Path(writer.write()))
    return written
