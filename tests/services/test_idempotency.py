"""Idempotent writes: one result per key, a clear error for a reused key, long scopes stored safely."""

from __future__ import annotations

import asyncio

import pytest

from rapport.models import Department, IdempotencyRecord
from rapport.services.errors import DomainError, ErrorCode
from rapport.services.idempotency import SCOPE_MAX, run_once, stored_scope


def _once(scope: str, key: str | None, name: str):
    async def write(conn):
        return await Department.create(using_db=conn, code=f"d{await Department.all().using_db(conn).count()}", name=name)

    async def load(pk: int):
        return await Department.get(id=pk)

    return run_once(scope, key, {"name": name}, "department", write, load, lambda d: d.id)


async def test_same_key_same_input_gives_the_first_result(db) -> None:
    first = await _once("op:user:a", "k1", "Sales")
    again = await _once("op:user:a", "k1", "Sales")
    assert first.id == again.id and await Department.all().count() == 1


async def test_same_key_other_input_is_invalid(db) -> None:
    await _once("op:user:a", "k1", "Sales")
    with pytest.raises(DomainError) as refused:
        await _once("op:user:a", "k1", "Support")
    assert refused.value.problems[0].code is ErrorCode.INVALID and refused.value.problems[0].path == ("input", "idempotencyKey")


async def test_keys_belong_to_their_scope(db) -> None:
    a = await _once("op:user:a", "k1", "Sales")
    b = await _once("op:user:b", "k1", "Sales")
    assert a.id != b.id


async def test_a_scope_longer_than_the_column_is_stored_and_still_unique(db) -> None:
    long_a = "logInteraction:user:" + "a" * 300 + "@example.com"
    long_b = "logInteraction:user:" + "a" * 300 + "@example.org"
    assert len(stored_scope(long_a)) <= SCOPE_MAX and stored_scope(long_a) != stored_scope(long_b)
    first = await _once(long_a, "k", "Sales")
    assert (await _once(long_a, "k", "Sales")).id == first.id
    assert (await _once(long_b, "k", "Sales")).id != first.id


async def test_concurrent_identical_calls_write_once(db) -> None:
    results = await asyncio.gather(*(_once("op:user:a", "same", "Sales") for _ in range(20)))
    assert len({d.id for d in results}) == 1
    assert await Department.all().count() == 1 and await IdempotencyRecord.all().count() == 1
