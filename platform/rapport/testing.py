"""pytest fixtures for plugin authors, registered as the ``pytest11`` entry point ``rapport``: installing
``rapport-crm`` makes them available to any test suite (they need pytest-asyncio and httpx).

Tell the fixtures which plugins to register by overriding ``rapport_plugins`` in your conftest::

    import pytest
    import rapport_my_plugin

    @pytest.fixture
    def rapport_plugins():
        return [rapport_my_plugin]

Then, in a test::

    async def test_points(rapport_client, rapport_events):
        data = await rapport_client.query(
            'mutation { createCustomer(input: {name: "Ann", custom: {points: 5}}) { customer { id } errors { code } } }')
        event = await rapport_events.assert_emitted("customer.created")
        await rapport_events.deliver()          # runs the outbox relay: your on_event receives the events

The fixtures (all prefixed ``rapport_``, so they never collide with yours):

``rapport_plugins``   the plugins to register besides the built-ins (override it; default none)
``rapport_settings``  settings on a temporary database: SQLite, or a scratch PostgreSQL database beside
                      ``RAPPORT_TEST_DATABASE_URL`` when that is set (and redis from ``RAPPORT_TEST_REDIS_URL``)
``rapport_host``      the plugin host (built-ins + your plugins), active during the test
``rapport_db``        the database open, emptied, the default access policy seeded, your plugins started
                      (startup hooks, custom field indexes, their policy lines)
``rapport_app``       the Starlette app with your plugins
``rapport_client``    a GraphQL client acting as ``manager@example.com`` (manager in department ``sales``);
                      ``await rapport_client.as_agent(email, roles=("agent@sales",))`` acts as someone else
``rapport_events``    the outbox: ``emitted()``, ``assert_emitted(topic, **payload)``, ``deliver()``
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

DEFAULT_AGENT = "manager@example.com"
DEFAULT_ROLES = ("manager@sales",)


# ---------------------------------------------------------------- database


def _asyncpg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def _server(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _beside(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def empty_tables() -> None:
    """Empty every Rapport table (ids restart), and forget what was cached about them."""
    from tortoise import Tortoise, connections

    from rapport.auth.actor_cache import forget_actors
    from rapport.authz.enforcer import set_engine
    from rapport.authz.sql import forget_departments

    client = connections.get("default")
    tables = [model._meta.db_table for model in Tortoise.apps["rapport"].values()]
    if client.capabilities.dialect == "postgres":
        await client.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        await client.execute_script(
            "PRAGMA foreign_keys = OFF;" + "".join(f"DELETE FROM {table};" for table in tables)
            + "DELETE FROM sqlite_sequence;PRAGMA foreign_keys = ON;"
        )
    set_engine(None)
    forget_departments()
    forget_actors()


@pytest.fixture(scope="session")
def rapport_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for the session (SQLite file, or a scratch PostgreSQL database)."""
    from rapport.migrator import migrate

    server = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")
    if server:
        url = _beside(server, f"rapport_plugin_{uuid.uuid4().hex[:10]}")
        asyncio.run(_server(server, f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
    else:
        url = f"sqlite://{tmp_path_factory.mktemp('rapport') / 'rapport.db'}"
    asyncio.run(migrate(url))
    yield url
    if server:
        asyncio.run(_server(server, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def rapport_settings(rapport_database: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from rapport.settings import Settings

    return Settings(
        env="development",
        database_url=rapport_database,
        redis_url=os.environ.get("RAPPORT_TEST_REDIS_URL") or None,
        secret_key="rapport-testing-secret-key-0123456789abcdef",
        secret_key_file=Path(tmp_path_factory.mktemp("secret")) / "secret",
        plugins="",  # entry points are not scanned: the plugins under test come from rapport_plugins
    )


# ---------------------------------------------------------------- plugins


@pytest.fixture
def rapport_plugins() -> Sequence[Any]:
    """Override: the plugin modules or objects to register besides Rapport's built-ins."""
    return []


@pytest.fixture
def rapport_host(rapport_settings: Any, rapport_plugins: Sequence[Any]) -> Iterator[Any]:
    from rapport.plugins import activated, load_plugins, use_process_host

    host = load_plugins(rapport_settings, extra=rapport_plugins)
    previous = use_process_host(host)
    try:
        with activated(host):
            yield host
    finally:
        use_process_host(previous)


@pytest.fixture
async def rapport_db(rapport_settings: Any, rapport_host: Any) -> AsyncIterator[None]:
    from tortoise import Tortoise

    from rapport.app import start_plugins
    from rapport.authz.store import seed_default_policy
    from rapport.db import tortoise_config

    # The host is the process's for the test (rapport_host): no context variable crosses the fixture's
    # setup and teardown, which pytest-asyncio may run in different contexts.
    await Tortoise.init(config=tortoise_config(rapport_settings), _enable_global_fallback=True)
    try:
        await empty_tables()
        await seed_default_policy()
        await start_plugins(rapport_host)
        yield
        await rapport_host.shutdown()
    finally:
        await Tortoise.close_connections()


@pytest.fixture
def rapport_app(rapport_settings: Any, rapport_host: Any, rapport_db: None) -> Any:
    from rapport.app import create_app

    return create_app(rapport_settings, manage_database=False, plugins=rapport_host)


# ---------------------------------------------------------------- GraphQL client


class GraphQLError(AssertionError):
    """The response had errors (GraphQL errors, or payload errors when asked to check them)."""


@dataclass
class GraphQLClient:
    """Posts operations to the app in-process, with a bearer token of its agent."""

    app: Any
    settings: Any
    email: str
    headers: dict[str, str] = field(default_factory=dict)

    async def request(self, query: str, **variables: Any) -> dict[str, Any]:
        """The whole response body (``data``, ``errors``, ``extensions``)."""
        import httpx

        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rapport.test") as client:
            response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=self.headers)
        return response.json()

    async def query(self, query: str, **variables: Any) -> dict[str, Any]:
        """``data`` of the response; raises GraphQLError when it has GraphQL errors."""
        body = await self.request(query, **variables)
        if body.get("errors"):
            raise GraphQLError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    async def as_agent(self, email: str, roles: Sequence[str] = ("agent@sales",), department: str | None = "sales") -> GraphQLClient:
        """A client acting as another agent (created with these role grants if new)."""
        return await _client_for(self.app, self.settings, email, roles, department)


async def _client_for(app: Any, settings: Any, email: str, roles: Sequence[str], department: str | None) -> GraphQLClient:
    from rapport.auth.actor import RoleGrant
    from rapport.auth.grants import grant
    from rapport.auth.tokens import issue_token
    from rapport.models import Agent, Department

    agent = await Agent.get_or_none(email=email)
    if agent is None:
        dept = None
        if department:
            dept, _ = await Department.get_or_create(code=department, defaults={"name": department.title()})
        agent = await Agent.create(email=email, name=email.split("@")[0], department=dept)
        for text in roles:
            await grant(f"user:{email}", RoleGrant.parse(text))
    token = issue_token(agent.id, settings.signing_key, 3600)
    return GraphQLClient(app, settings, email, {"Authorization": f"Bearer {token}"})


@pytest.fixture
async def rapport_client(rapport_app: Any, rapport_settings: Any) -> GraphQLClient:
    return await _client_for(rapport_app, rapport_settings, DEFAULT_AGENT, DEFAULT_ROLES, "sales")


# ---------------------------------------------------------------- events


@dataclass
class EventLog:
    """The outbox, as a plugin's tests look at it."""

    host: Any

    async def emitted(self, topic: str | None = None, entity: str | None = None) -> list[Any]:
        """Events written so far (oldest first), as ``rapport.plugin_api.Event`` values."""
        from rapport.events.relay import as_event
        from rapport.models import OutboxEvent

        query = OutboxEvent.all().order_by("id")
        if topic:
            query = query.filter(topic=topic)
        if entity:
            query = query.filter(entity=entity)
        return [as_event(row) for row in await query]

    async def assert_emitted(self, topic: str, **payload: Any) -> Any:
        """The last event of ``topic`` whose payload contains ``payload``; AssertionError listing what was emitted."""
        for event in reversed(await self.emitted(topic)):
            if all(event.payload.get(key) == value for key, value in payload.items()):
                return event
        seen = [(e.topic, dict(e.payload)) for e in await self.emitted()]
        raise AssertionError(f"no {topic} event with {payload}; emitted: {seen}")

    async def deliver(self, now: datetime | None = None) -> Any:
        """Run the outbox relay until idle: every plugin's ``on_event`` receives the pending events.
        Returns the relay's report (delivered, failed, parked, errors)."""
        from rapport.events.relay import relay_until_idle

        return await relay_until_idle(self.host, now=now)


@pytest.fixture
def rapport_events(rapport_host: Any, rapport_db: None) -> EventLog:
    return EventLog(rapport_host)
