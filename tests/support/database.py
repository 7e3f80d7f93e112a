"""Scratch databases and table clean-up for the test legs."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _asyncpg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def _server_execute(server_url: str, statement: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def create_scratch_database_async(server_url: str, name: str) -> str:
    """Create an empty PostgreSQL database beside ``server_url``'s and return its URL."""
    await _server_execute(server_url, f'CREATE DATABASE "{name}"')
    return _with_database(server_url, name)


async def drop_scratch_database_async(server_url: str, scratch_url: str) -> None:
    name = urlsplit(scratch_url).path.lstrip("/")
    await _server_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_scratch_database(server_url: str, name: str) -> str:
    return asyncio.run(create_scratch_database_async(server_url, name))


def drop_scratch_database(server_url: str, scratch_url: str) -> None:
    asyncio.run(drop_scratch_database_async(server_url, scratch_url))


async def empty_all_tables(client: BaseDBAsyncClient) -> None:
    tables = [model._meta.db_table for model in Tortoise.apps["rapport"].values()]
    if client.capabilities.dialect == "postgres":
        await client.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        # Foreign keys off while emptying: order does not matter then.
        await client.execute_script(
            "PRAGMA foreign_keys = OFF;"
            + "".join(f"DELETE FROM {table};" for table in tables)
            + "DELETE FROM sqlite_sequence;PRAGMA foreign_keys = ON;"
        )
