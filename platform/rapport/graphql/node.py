"""``node(id)`` and ``nodes(ids)``: any object by its global id, through its type's scoped loader."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay import GlobalID

from rapport.graphql.core.errors import ClientError
from rapport.graphql.core.ids import parse_global_id
from rapport.graphql.gate import PUBLIC, secured

MAX_NODES = 100


def _node_types() -> dict[str, Any]:
    from rapport.graphql.customers.types import Customer
    from rapport.graphql.interactions.types import Interaction
    from rapport.graphql.org.types import Agent, Department
    from rapport.graphql.tickets.types import Ticket

    return {cls.__name__: cls for cls in (Customer, Agent, Department, Interaction, Ticket)}


async def _resolve(info: strawberry.Info, ids: list[str]) -> list[Any]:
    types = _node_types()
    wanted: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for index, raw in enumerate(ids):
        try:
            gid = GlobalID.from_id(raw)
        except Exception:  # noqa: BLE001 - a malformed id simply names nothing
            continue
        # parse_global_id also drops keys outside the database's integer range: they name nothing.
        pk = parse_global_id(gid, gid.type_name) if gid.type_name in types else None
        if pk is not None:
            wanted[gid.type_name].append((index, str(pk)))
    found: list[Any] = [None] * len(ids)
    for type_name, entries in wanted.items():
        # Each type's resolve_nodes applies the viewer's row scope: an unreadable row is simply absent.
        objects = await types[type_name].resolve_nodes(info=info, node_ids=[node_id for _, node_id in entries])
        for (index, _), obj in zip(entries, objects, strict=True):
            found[index] = obj
    return found


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; null when it does not exist or you may not read it.",
                      extensions=[secured(PUBLIC, "read")])
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> relay.Node | None:
        return (await _resolve(info, [id]))[0]

    @strawberry.field(description=f"Objects by global id, in the order asked (null where absent); at most {MAX_NODES}.",
                      extensions=[secured(PUBLIC, "read")])
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise ClientError(f"ids: at most {MAX_NODES}")
        return await _resolve(info, list(ids))
