"""Opaque global ids: base64 of "TypeName:key" (strawberry's relay GlobalID), checked for their type."""

from __future__ import annotations

import re

from strawberry.relay import GlobalID

from rapport.graphql.core.errors import ClientError
from rapport.services.errors import DomainError, ErrorCode


KEY = re.compile(r"[0-9]{1,19}")  # ASCII digits only: str.isdigit() also accepts "²", which int() refuses
INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1
# Types whose table keys are 64-bit (BigIntField); every other type's key is a 32-bit integer on PostgreSQL.
BIG_KEYS = frozenset({"Interaction", "TicketActivity", "PolicyChange", "EventDelivery"})


def to_global_id(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


def parse_global_id(value: str | GlobalID, type_name: str) -> int | None:
    """The key of ``value`` when it is a well-formed id of ``type_name``; None otherwise.

    A key outside the database's integer range names no row: it is "not an id" here, so that no query
    ever carries it (SQLite and PostgreSQL would fail on it rather than find nothing)."""
    try:
        gid = value if isinstance(value, GlobalID) else GlobalID.from_id(str(value))
    except Exception:  # noqa: BLE001 - any decoding failure means "not an id"
        return None
    if gid.type_name != type_name or not KEY.fullmatch(gid.node_id):
        return None
    key = int(gid.node_id)
    return key if 0 < key <= (INT64_MAX if type_name in BIG_KEYS else INT32_MAX) else None


def argument_id(value: str | GlobalID, type_name: str, argument: str) -> int:
    """For query arguments: a wrong id is the client's bug, reported as a GraphQL error."""
    pk = parse_global_id(value, type_name)
    if pk is None:
        raise ClientError(f"{argument}: not a {type_name} id")
    return pk


def input_id(value: str | GlobalID, type_name: str, *path: str) -> int:
    """For mutation inputs: a wrong id is a typed NOT_FOUND/INVALID payload error."""
    pk = parse_global_id(value, type_name)
    if pk is None:
        raise DomainError.single(ErrorCode.INVALID, f"{path[-1] if path else 'id'} is not a {type_name} id", path)
    return pk
