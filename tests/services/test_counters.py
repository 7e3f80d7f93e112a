"""Gapless counters: no gaps, no repeats under concurrency, and a rollback gives the number back."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from rapport.services.counters import TICKET_NUMBER, current_value, format_ticket_number, next_value


async def test_first_value_is_one_and_values_follow(db) -> None:
    async with in_transaction() as conn:
        assert [await next_value(conn, "x") for _ in range(3)] == [1, 2, 3]


async def test_rolled_back_increment_leaves_no_gap(db) -> None:
    async with in_transaction() as conn:
        await next_value(conn, TICKET_NUMBER)
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await next_value(conn, TICKET_NUMBER)
            raise RuntimeError("the write failed")
    async with in_transaction() as conn:
        assert await next_value(conn, TICKET_NUMBER) == 2


async def test_concurrent_increments_never_repeat_nor_skip(db) -> None:
    async def take() -> int:
        async with in_transaction() as conn:
            return await next_value(conn, TICKET_NUMBER)

    values = await asyncio.gather(*(take() for _ in range(30)))
    assert sorted(values) == list(range(1, 31))
    assert await current_value(connections.get("default"), TICKET_NUMBER) == 30


def test_ticket_numbers_are_zero_padded() -> None:
    assert format_ticket_number(123) == "T-000123"
