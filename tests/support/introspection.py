"""Describe a live database schema in a dialect-neutral form: tables, columns, indexes."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

IGNORED_TABLES = {"tortoise_migrations", "sqlite_sequence"}


@dataclass(frozen=True, order=True)
class IndexShape:
    columns: tuple[str, ...]
    unique: bool
    partial: bool


@dataclass
class SchemaShape:
    columns: dict[str, dict[str, bool]]  # table -> column -> nullable
    indexes: dict[str, set[IndexShape]]  # table -> indexes (primary keys left out)
    index_names: set[str]


async def describe(client: BaseDBAsyncClient) -> SchemaShape:
    if client.capabilities.dialect == "postgres":
        return await _describe_postgres(client)
    return await _describe_sqlite(client)


async def _describe_sqlite(client: BaseDBAsyncClient) -> SchemaShape:
    tables = [row["name"] for row in await client.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'")]
    shape = SchemaShape(columns={}, indexes={}, index_names=set())
    for table in tables:
        if table in IGNORED_TABLES:
            continue
        info = await client.execute_query_dict(f'PRAGMA table_info("{table}")')
        shape.columns[table] = {row["name"]: not row["notnull"] and not row["pk"] for row in info}
        shape.indexes[table] = set()
        for index in await client.execute_query_dict(f'PRAGMA index_list("{table}")'):
            if index["origin"] == "pk":
                continue
            cols = await client.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
            shape.indexes[table].add(
                IndexShape(tuple(c["name"] for c in sorted(cols, key=lambda c: c["seqno"])), bool(index["unique"]), bool(index["partial"]))
            )
            if not index["name"].startswith("sqlite_autoindex"):
                shape.index_names.add(index["name"])
    return shape


async def _describe_postgres(client: BaseDBAsyncClient) -> SchemaShape:
    shape = SchemaShape(columns={}, indexes={}, index_names=set())
    for row in await client.execute_query_dict(
        "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'"
    ):
        if row["table_name"] in IGNORED_TABLES:
            continue
        shape.columns.setdefault(row["table_name"], {})[row["column_name"]] = row["is_nullable"] == "YES"
        shape.indexes.setdefault(row["table_name"], set())
    rows = await client.execute_query_dict(
        """
        SELECT t.relname AS table_name, i.relname AS index_name, ix.indisunique AS is_unique,
               ix.indpred IS NOT NULL AS is_partial,
               array_to_string(ARRAY(
                   SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord
               ), ',') AS columns
        FROM pg_index ix
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND NOT ix.indisprimary
        """
    )
    for row in rows:
        if row["table_name"] in IGNORED_TABLES:
            continue
        shape.indexes[row["table_name"]].add(IndexShape(tuple(row["columns"].split(",")), row["is_unique"], row["is_partial"]))
        shape.index_names.add(row["index_name"])
    return shape
