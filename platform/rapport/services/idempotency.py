"""Idempotent writes: the same key with the same input returns the first result; with other input, INVALID.

The key is claimed by inserting its record first, inside the write's own transaction. A concurrent call
with the same key blocks on the unique index (PostgreSQL) or on the writer lock (SQLite) until the first
commits, then fails to insert, and reads the committed result instead. So 20 concurrent identical
calls create exactly one row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError, TransactionManagementError
from tortoise.transactions import in_transaction

from rapport.models import IdempotencyRecord
from rapport.services.errors import DomainError, ErrorCode

T = TypeVar("T")
KEY_MAX = 200
SCOPE_MAX = 200  # the column's length


def stored_scope(scope: str) -> str:
    """The scope as stored: long ones (an actor's email may be 320 characters) keep a readable head and a hash."""
    if len(scope) <= SCOPE_MAX:
        return scope
    return f"{scope[:SCOPE_MAX - 65]}#{hashlib.sha256(scope.encode()).hexdigest()}"


def request_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


async def run_once(
    scope: str,
    key: str | None,
    payload: Mapping[str, Any],
    entity: str,
    write: Callable[[BaseDBAsyncClient], Awaitable[T]],
    load: Callable[[int], Awaitable[T]],
    entity_id: Callable[[T], int],
) -> T:
    """Run ``write`` in a transaction once per (scope, key); repeated calls get ``load(first id)``."""
    if key is None:
        async with in_transaction() as conn:
            return await write(conn)
    if not key.strip() or len(key) > KEY_MAX:
        raise DomainError.single(ErrorCode.INVALID, f"idempotencyKey must be 1 to {KEY_MAX} characters", ("input", "idempotencyKey"))
    digest = request_hash(payload)
    scope = stored_scope(scope)
    for _ in range(3):
        existing = await IdempotencyRecord.get_or_none(scope=scope, key=key)
        if existing is not None and existing.entity_id is not None:
            if existing.request_hash != digest:
                raise DomainError.single(
                    ErrorCode.INVALID, "idempotencyKey was already used with a different input", ("input", "idempotencyKey")
                )
            return await load(int(existing.entity_id))
        try:
            async with in_transaction() as conn:
                record = await IdempotencyRecord.create(using_db=conn, scope=scope, key=key, request_hash=digest, entity=entity)
                result = await write(conn)
                record.entity_id = str(entity_id(result))
                await record.save(using_db=conn, update_fields=["entity_id"])
                return result
        except (IntegrityError, TransactionManagementError):
            continue  # another call holds or took the key: read what it wrote
    raise DomainError.single(ErrorCode.CONFLICT, "the same idempotencyKey is being used concurrently: retry", ("input", "idempotencyKey"))
