"""The migration files are portable and complete.

(a) Migrating an empty database yields exactly the tables, columns and indexes the models describe
(tortoise's own ``generate_schemas`` is the reference) plus the partial indexes, on SQLite and on
PostgreSQL, and both databases end up with the same shape.
(b) No model change lacks a migration: forgetting ``rapport makemigrations`` fails this test.
"""

from __future__ import annotations

import uuid

import pytest
from tortoise.context import TortoiseContext

from rapport.db import tortoise_config
from rapport.migrator import migrate, pending_changes
from rapport.partial_indexes import PARTIAL_INDEXES
from tests.conftest import TEST_DATABASE_URL
from tests.support.database import create_scratch_database_async, drop_scratch_database_async
from tests.support.introspection import SchemaShape, describe


async def _shape_after(url: str, *, via_migrations: bool) -> SchemaShape:
    if via_migrations:
        await migrate(url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        if not via_migrations:
            await ctx.generate_schemas(safe=False)
        return await describe(ctx.connections.get("default"))


def _without_partial(shape: SchemaShape) -> SchemaShape:
    partial_names = set(PARTIAL_INDEXES)
    return SchemaShape(
        columns=shape.columns,
        indexes={table: {i for i in idx if not i.partial} for table, idx in shape.indexes.items()},
        index_names=shape.index_names - partial_names,
    )


async def _migrated_and_reference(make_url) -> tuple[SchemaShape, SchemaShape]:
    return (
        await _shape_after(await make_url(), via_migrations=True),
        await _shape_after(await make_url(), via_migrations=False),
    )


def _assert_models_match(migrated: SchemaShape, reference: SchemaShape) -> None:
    assert migrated.columns == reference.columns
    stripped = _without_partial(migrated)
    assert stripped.indexes == reference.indexes
    assert set(PARTIAL_INDEXES) <= migrated.index_names
    assert sum(i.partial for idx in migrated.indexes.values() for i in idx) == len(PARTIAL_INDEXES)


@pytest.fixture
def sqlite_url(tmp_path):
    counter = iter(range(100))

    async def make() -> str:
        return f"sqlite://{tmp_path / f'db{next(counter)}.sqlite'}"

    return make


@pytest.fixture
async def postgres_url():
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL leg only (RAPPORT_TEST_DATABASE_URL unset)")
    created: list[str] = []

    async def make() -> str:
        url = await create_scratch_database_async(TEST_DATABASE_URL, f"rapport_mig_{uuid.uuid4().hex[:10]}")
        created.append(url)
        return url

    yield make
    for url in created:
        await drop_scratch_database_async(TEST_DATABASE_URL, url)


async def test_migrations_build_what_the_models_describe_on_sqlite(sqlite_url) -> None:
    migrated, reference = await _migrated_and_reference(sqlite_url)
    _assert_models_match(migrated, reference)


async def test_migrations_build_what_the_models_describe_on_postgres(postgres_url) -> None:
    migrated, reference = await _migrated_and_reference(postgres_url)
    _assert_models_match(migrated, reference)


async def test_sqlite_and_postgres_get_the_same_schema_from_the_same_files(sqlite_url, postgres_url) -> None:
    on_sqlite = await _shape_after(await sqlite_url(), via_migrations=True)
    on_postgres = await _shape_after(await postgres_url(), via_migrations=True)
    assert on_sqlite.columns == on_postgres.columns
    assert on_sqlite.indexes == on_postgres.indexes


async def test_migrating_twice_changes_nothing(sqlite_url) -> None:
    url = await sqlite_url()
    first = await _shape_after(url, via_migrations=True)
    second = await _shape_after(url, via_migrations=True)
    assert first == second


async def test_every_model_change_has_a_migration() -> None:
    pending = await pending_changes("sqlite://:memory:")
    assert not pending, (
        "the models changed without a migration: run `rapport makemigrations --name <what_changed>` "
        f"(would create {[w.name for w in pending]})"
    )


async def _upgrade_with_rows(url: str) -> None:
    await migrate(url, target="rapport.0003_counters_and_policy_changes")
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        conn = ctx.connections.get("default")
        now = "2025-01-01 00:00:00+00:00"
        for statement in (
            "INSERT INTO departments (id, code, name, created_at) VALUES (1, 'sales', 'Sales', '{now}')",
            "INSERT INTO customers (id, name, segment, tier, tags, custom, classification, version, department_id, created_at, updated_at) "
            "VALUES (1, 'Ann', 'existing', 'high', '[]', '{{}}', '{{}}', 1, 1, '{now}', '{now}')",
            "INSERT INTO tickets (id, number, subject, customer_id, department_id, status, priority, tags, custom, sla_policy, "
            "first_response_due_at, resolution_due_at, version, created_at, updated_at) VALUES (1, 'T-000001', 'Help', 1, 1, 'open', "
            "'normal', '[]', '{{}}', 'default', '{now}', '{now}', 1, '{now}', '{now}')",
        ):
            await conn.execute_script(statement.format(now=now))
    await migrate(url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        rows = await ctx.connections.get("default").execute_query_dict("SELECT sla_paused_seconds, escalated_at FROM tickets")
        assert rows == [{"sla_paused_seconds": 0, "escalated_at": None}]


async def test_upgrading_a_database_that_holds_rows_on_sqlite(sqlite_url) -> None:
    await _upgrade_with_rows(await sqlite_url())


async def test_upgrading_a_database_that_holds_rows_on_postgres(postgres_url) -> None:
    await _upgrade_with_rows(await postgres_url())
