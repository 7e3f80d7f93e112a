"""From a mutation's input object to the plain dict a service takes: only what the client sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

import strawberry

from rapport.graphql.core.ids import input_id


def sent(
    data: Any,
    *,
    ids: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """The fields of ``data`` the client sent (UNSET ones left out), renamed by ``names``, the global ids
    of ``ids`` (field -> node type) decoded (a wrong one is an INVALID payload error naming the field),
    enums as their values. A ``required`` text sent as null becomes "" so that the data-entry standard
    reports it as REQUIRED, like an empty one."""
    ids, names = ids or {}, names or {}
    out: dict[str, Any] = {}
    for name, value in vars(data).items():
        if value is strawberry.UNSET:
            continue
        if value is not None and name in ids:
            value = input_id(value, ids[name], "input", name)
        elif isinstance(value, Enum):
            value = value.value
        out[names.get(name, name)] = value
    for name in required:
        if name in out and out[name] is None:
            out[name] = ""
    return out
