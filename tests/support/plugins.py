"""Apps and hosts with test plugins (``tests/plugins``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from rapport.plugin_host import PluginHost
from rapport.plugins import load_plugins
from rapport.settings import Settings


def host_with(settings: Settings, *plugins: Any, **overrides: Any) -> PluginHost:
    """The core's built-ins plus ``plugins`` (modules or objects); ``overrides`` change settings."""
    return load_plugins(settings.model_copy(update={"plugins": "", **overrides}), extra=plugins)


@contextlib.asynccontextmanager
async def client_for(settings: Settings, host: PluginHost) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on an app built with ``host`` (tortoise is opened by the ``db`` fixture)."""
    from rapport.app import create_app

    app = create_app(settings, manage_database=False, plugins=host)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test") as client:
        yield client
