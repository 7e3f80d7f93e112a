"""What every command shares: the error that ends it and a database to work in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.context import TortoiseContext

from rapport.cli.existing_database import check_file_exists, check_migrated
from rapport.db import tortoise_config
from rapport.settings import Settings

T = TypeVar("T")


class CommandError(Exception):
    """A command cannot do what it was asked; the message is shown as is, exit status 1."""


def run_with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with tortoise initialised, closing connections even when it fails.

    The database must exist and be migrated (DatabaseNotReady otherwise), so that a command run from
    the wrong folder creates nothing; the commands that create one (serve, migrate, seed) migrate first."""
    check_file_exists(settings)

    async def runner() -> T:
        async with TortoiseContext() as context:  # closes the connections on the way out, also on errors
            await context.init(config=tortoise_config(settings))
            await check_migrated(settings)
            return await work()

    return asyncio.run(runner())
