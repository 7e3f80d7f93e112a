"""Two apps over one database: one answers reads on the compiled path (the settings as they are), the
other through the resolvers (``compiled_reads=False``), the reference the compiled path must match.

``ask`` sends one operation to both and returns both bodies, compiled first. Rate limits are off in
both apps: a property test sends hundreds of operations a minute, and the query-cost budget is not what
is compared here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from rapport.settings import Settings


@dataclass
class TwoPaths:
    compiled: httpx.AsyncClient
    resolvers: httpx.AsyncClient

    async def ask(self, query: str, headers: dict[str, str], variables: dict[str, Any] | None = None,
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The compiled app's body and the resolver app's body for the same request (same HTTP status)."""
        payload = {"query": query, "variables": variables or {}}
        compiled = await self.compiled.post("/graphql", json=payload, headers={**headers, "X-Rapport-Read-Path": "true"})
        resolvers = await self.resolvers.post("/graphql", json=payload, headers=headers)
        assert compiled.status_code == resolvers.status_code, (compiled.text, resolvers.text)
        return compiled.json(), resolvers.json()


@contextlib.asynccontextmanager
async def two_paths(settings: Settings) -> AsyncIterator[TwoPaths]:
    """Clients on both apps (tortoise is opened by the ``orm``/``db`` fixtures, not by the apps)."""
    from rapport.app import create_app

    unlimited = settings.model_copy(update={"rate_limit_enabled": False})
    compiled = create_app(unlimited, manage_database=False)
    resolvers = create_app(unlimited.model_copy(update={"compiled_reads": False}), manage_database=False)
    base = "http://rapport.test"
    async with (httpx.AsyncClient(transport=httpx.ASGITransport(app=compiled), base_url=base) as compiled_client,
                httpx.AsyncClient(transport=httpx.ASGITransport(app=resolvers), base_url=base) as resolver_client):
        yield TwoPaths(compiled_client, resolver_client)
