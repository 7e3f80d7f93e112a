"""A database too busy to answer in time: bounded waits for a connection and for locks, and the answer
SERVICE_UNAVAILABLE with Retry-After (HTTP 503) instead of a request that hangs or an INTERNAL_ERROR."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

from rapport.app import create_app
from rapport.db import tortoise_config
from rapport.models import Customer, Department
from tests.support.graphql import gql
from tests.support.personas import cast

UPDATE = """
mutation($id: ID!, $name: String!) {
  updateCustomer(id: $id, input: {name: $name}) { customer { name } errors { code } }
}"""
READ = "{ departments { code } }"


@contextlib.asynccontextmanager
async def limited_database(settings, **limits: float) -> AsyncIterator[None]:
    """This test's connections with small limits (so that waits stay short); the session's afterwards."""
    await Tortoise.close_connections()
    small = settings.model_copy(update={f"database_{name}": value for name, value in limits.items()})
    await Tortoise.init(config=tortoise_config(small), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)


@contextlib.asynccontextmanager
async def row_locked_elsewhere(settings, customer_id: int) -> AsyncIterator[None]:
    """Another session holds a write lock on the customer's row (PostgreSQL) or the database (SQLite)."""
    if settings.is_sqlite:
        other = sqlite3.connect(settings.database_url.removeprefix("sqlite://"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    other = await asyncpg.connect("postgresql://" + settings.database_url.split("://", 1)[1])
    try:
        async with other.transaction():
            await other.execute("SELECT id FROM customers WHERE id = $1 FOR UPDATE", customer_id)
            yield
    finally:
        await other.close()


@pytest.fixture
async def scene(db, settings):
    people = await cast(settings)
    sales = await Department.get(code="sales")
    customer = await Customer.create(name="Locked Row", department=sales, owner=people["sales"].agent)
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test") as http:
        yield http, people["sales"].headers, customer
    await app.state.rate_limiter.close()


def assert_service_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503 and response.headers["Retry-After"] == "1", response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE" and error["extensions"]["retryAfter"] == 1
    assert "Locked Row" not in response.text and "customers" not in response.text


async def timed(call) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


async def test_writers_on_a_locked_row_give_up_and_unrelated_reads_still_answer(scene, settings) -> None:
    http, headers, customer = scene
    from rapport.graphql.core.ids import to_global_id

    gid = to_global_id("Customer", customer.id)
    # More writers than connections: before, each held a connection for as long as the lock lasted.
    async with limited_database(settings, pool_size=2, pool_timeout=5, lock_timeout=0.3):
        async with row_locked_elsewhere(settings, customer.id):
            writers = [timed(gql(http, UPDATE, headers, id=gid, name=f"Writer {i}")) for i in range(4)]
            *written, (read, read_took) = await asyncio.wait_for(
                asyncio.gather(*writers, timed(gql(http, READ, headers))), timeout=8)
        for response, took in written:
            assert_service_unavailable(response)
            assert took < 4, took  # a bounded wait: the lock timeout, plus waiting for a connection
        assert read.status_code == 200 and read.json()["data"]["departments"], read.text
        assert read_took < 4, read_took
        # The lock is gone: the same write applies.
        after = await gql(http, UPDATE, headers, id=gid, name="After")
        assert after.json()["data"]["updateCustomer"] == {"customer": {"name": "After"}, "errors": []}


async def test_no_free_connection_within_the_pool_timeout_is_service_unavailable(scene, settings) -> None:
    http, headers, customer = scene
    holding, release = asyncio.Event(), asyncio.Event()

    async def slow_write() -> None:  # its own task: the transaction is not the requests' connection
        async with in_transaction():
            await Customer.filter(id=customer.id).update(name="Slow")
            holding.set()
            await release.wait()

    async with limited_database(settings, pool_size=1, pool_timeout=0.3, lock_timeout=5):
        holder = asyncio.create_task(slow_write())
        try:
            await asyncio.wait_for(holding.wait(), timeout=5)
            read, took = await asyncio.wait_for(timed(gql(http, READ, headers)), timeout=8)
        finally:
            release.set()
            await holder
        assert_service_unavailable(read)
        assert took < 3, took
        again = await gql(http, READ, headers)  # the connection is free again
        assert again.status_code == 200 and again.json()["data"]["departments"]


async def test_connections_carry_the_lock_and_statement_timeouts(db, settings) -> None:
    async with limited_database(settings, lock_timeout=0.25, statement_timeout=7):
        connection = connections.get("default")
        if settings.is_sqlite:
            (row,) = await connection.execute_query_dict("PRAGMA busy_timeout")
            assert list(row.values()) == [250]
        else:
            (lock,) = await connection.execute_query_dict("SHOW lock_timeout")
            (statement,) = await connection.execute_query_dict("SHOW statement_timeout")
            assert (lock["lock_timeout"], statement["statement_timeout"]) == ("250ms", "7s")


async def test_a_statement_past_the_statement_timeout_is_service_unavailable(db, settings) -> None:
    """PostgreSQL only (SQLite has no statement timeout): a runaway statement is cut off."""
    if settings.is_sqlite:
        pytest.skip("PostgreSQL leg only")
    from rapport.db_busy import is_database_busy

    async with limited_database(settings, statement_timeout=0.2):
        with pytest.raises(Exception) as raised:
            await asyncio.wait_for(connections.get("default").execute_query("SELECT pg_sleep(5)"), timeout=3)
        assert is_database_busy(raised.value)
