"""Test legs: embedded (SQLite, no redis) by default; real (PostgreSQL + redis) when
RAPPORT_TEST_DATABASE_URL / RAPPORT_TEST_REDIS_URL are set.

The session migrates one fresh database (a temporary SQLite file, or a new PostgreSQL database created
next to the given one and dropped at the end); each test that takes ``db`` starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tortoise import Tortoise, connections

from rapport.db import tortoise_config
from rapport.migrator import migrate
from rapport.settings import Settings

TEST_DATABASE_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL", "")


def pytest_report_header() -> list[str]:
    database = "postgresql" if TEST_DATABASE_URL else "sqlite (embedded)"
    redis = "redis" if TEST_REDIS_URL else "in-process (no redis)"
    return [f"rapport test leg: database={database}, fan-out={redis}"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for this test session."""
    from tests.support.database import create_scratch_database, drop_scratch_database

    if TEST_DATABASE_URL:
        url = create_scratch_database(TEST_DATABASE_URL, f"rapport_test_{uuid.uuid4().hex[:10]}")
    else:
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'rapport.db'}"
    asyncio.run(migrate(url))
    yield url
    if TEST_DATABASE_URL:
        drop_scratch_database(TEST_DATABASE_URL, url)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        env="development",
        database_url=database_url,
        redis_url=TEST_REDIS_URL or None,
        redis_namespace=f"rapport-test-{uuid.uuid4().hex[:10]}",  # sessions sharing one redis stay apart
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        secret_key_file=Path(tmp_path_factory.mktemp("secret")) / "secret",
        plugins="",  # the core alone: installed plugins (e.g. the bundled ones) must not change core tests
    )


@pytest.fixture(scope="session", autouse=True)
def core_plugins(settings: Settings) -> Iterator[None]:
    """Work outside an app (services called directly) sees the core's built-in plugins only."""
    from rapport.plugins import load_plugins, use_process_host

    previous = use_process_host(load_plugins(settings))
    yield
    use_process_host(previous)


@pytest.fixture(scope="session")
async def orm(database_url: str) -> AsyncIterator[None]:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    yield
    await Tortoise.close_connections()


@pytest.fixture
async def db(orm: None) -> AsyncIterator[None]:
    """Empty tables for the test (emptied before, so a failed test leaves evidence behind)."""
    from rapport.auth.actor_cache import forget_actors
    from rapport.authz.enforcer import set_engine
    from rapport.authz.sql import forget_departments
    from tests.support.database import empty_all_tables

    await empty_all_tables(connections.get("default"))
    # Emptied tables restart ids and versions: cached policies or department ids would lie.
    set_engine(None)
    forget_departments()
    forget_actors()
    yield


@pytest.fixture
def app(settings: Settings, orm: None):
    from rapport.app import create_app

    return create_app(settings, manage_database=False)


@pytest.fixture
async def http(app) -> AsyncIterator["httpx.AsyncClient"]:
    """An HTTP client talking to the app in-process (no token unless a test sends one)."""
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test") as client:
        yield client


@pytest.fixture(scope="session", autouse=True)
def bounded_logging(settings: Settings) -> None:
    """Tests log as the app does (configure_logging): bounded lines, no rich tracebacks with locals."""
    from rapport.log import configure_logging

    configure_logging(settings)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No RAPPORT_* variable from the outer environment, and a scratch working directory (settings tests)."""
    for name in list(os.environ):
        if name.startswith("RAPPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch
