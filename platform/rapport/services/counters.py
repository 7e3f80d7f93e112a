"""Gapless counters: incremented inside the caller's transaction, so a rolled-back write gives its
number back and concurrent writers never share one (the row is locked until commit)."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

TICKET_NUMBER = "ticket_number"
POLICY_VERSION = "policy_version"


async def next_value(conn: BaseDBAsyncClient, name: str) -> int:
    """Increment counter ``name`` (created at 1 on first use) and return its new value."""
    # One statement that both databases accept (SQLite >= 3.35 and PostgreSQL: upsert + RETURNING).
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(
        f"INSERT INTO counters (name, value) VALUES ({placeholder}, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
        [name],
    )
    return int(rows[0]["value"])


async def current_value(conn: BaseDBAsyncClient, name: str) -> int:
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(f"SELECT value FROM counters WHERE name = {placeholder}", [name])
    return int(rows[0]["value"]) if rows else 0


async def set_value(conn: BaseDBAsyncClient, name: str, value: int) -> None:
    placeholder = ("$1", "$2") if conn.capabilities.dialect == "postgres" else ("?", "?")
    await conn.execute_query(
        f"INSERT INTO counters (name, value) VALUES ({placeholder[0]}, {placeholder[1]}) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [name, value],
    )


def format_ticket_number(value: int) -> str:
    return f"T-{value:06d}"
