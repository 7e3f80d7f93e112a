"""What every command shares: the error that ends it and a database to work in."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.context import TortoiseContext

from rapport.db import tortoise_config
from rapport.settings import Settings

T = TypeVar("T")


class CommandError(Exception):
    """A command cannot do what it was asked; the message is shown as is, exit status 1."""


def run_with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with tortoise initialised, closing connections even when it fails."""

    async def runner() -> T:
        async with TortoiseContext() as context:  # closes the connections on the way out, also on errors
            await context.init(config=tortoise_config(settings))
            return await work()

    return asyncio.run(runner())
