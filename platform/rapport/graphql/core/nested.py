"""Nested connections (``Customer.interactions(first: 3)``) for a whole page of parents at once.

One query numbers each parent's rows with ``ROW_NUMBER() OVER (PARTITION BY parent ...)`` and keeps the
first N+1 ids per parent; a second loads those rows. So a page of 50 customers costs the same two
statements as a page of 5. Both SQLite (>= 3.25) and PostgreSQL have window functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.relay import PageInfo
from tortoise import connections
from tortoise.expressions import RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from rapport.compiler.keyset import order_sql
from rapport.graphql.core.pagination import (
    Connection, Edge, Ordering, PageRequest, _after_q, _annotated, _decode, _encode,
)

NodeT = TypeVar("NodeT")


def nested_connection_loader(
    base: Callable[[], Any],
    parent_column: str,
    ordering: Ordering,
    page: PageRequest,
    to_node: Callable[[Any], NodeT],
) -> DataLoader[int, Connection[NodeT]]:
    """A loader of one connection per parent id. ``base()`` returns the scoped, filtered queryset (awaitable)."""
    size, backward = page.size_and_direction()
    if backward:
        from rapport.graphql.core.errors import ClientError

        raise ClientError("nested lists page forward only (first/after)")
    keys = ordering.with_id()

    async def load(parent_ids: Sequence[int]) -> list[Connection[NodeT]]:
        qs: QuerySet = await base()
        scoped = _annotated(qs.filter(**{f"{parent_column}__in": set(parent_ids)}), keys)
        if page.after is not None:
            scoped = scoped.filter(_after_q(keys, _decode(page.after, ordering, keys), False))
        by_parent: dict[int, list[Any]] = defaultdict(list)
        if size:
            table = qs.model._meta.db_table
            window = RawSQL(f'ROW_NUMBER() OVER (PARTITION BY "{table}"."{parent_column}" ORDER BY {order_sql(keys, table, False)})')
            numbered = scoped.annotate(_rn=window).values("id", "_rn")
            numbered._choose_db_if_not_chosen()
            numbered._make_query()
            inner, params = numbered.query.get_parameterized_sql()
            rows = await connections.get("default").execute_query_dict(
                f"SELECT id, _rn FROM ({inner}) AS numbered WHERE _rn <= {size + 1:d}", params
            )
            position = {row["id"]: row["_rn"] for row in rows}
            for row in await _annotated(qs.model.filter(id__in=list(position)), keys):  # cursors read the sort keys
                by_parent[getattr(row, parent_column)].append(row)
            for siblings in by_parent.values():
                siblings.sort(key=lambda r: position[r.id])  # the database's order, collation included
        counts_loader = _counter(qs, parent_column)
        result = []
        for parent in parent_ids:
            rows = by_parent.get(parent, [])
            more = len(rows) > size
            rows = rows[:size]
            edges = [Edge(cursor=_encode(ordering.signature, [getattr(r, k.column) for k, _ in keys]), node=to_node(r)) for r in rows]
            result.append(Connection(
                edges=edges,
                nodes=[e.node for e in edges],
                page_info=PageInfo(
                    has_next_page=more, has_previous_page=page.after is not None,
                    start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None,
                ),
                count_total=(lambda parent=parent: counts_loader.load(parent)),
            ))
        return result

    return DataLoader(load_fn=load)


def _counter(qs: QuerySet, parent_column: str) -> DataLoader[int, int]:
    """totalCount for every parent of the page in one GROUP BY, only when a client asks for it."""

    async def load(parent_ids: Sequence[int]) -> list[int]:
        rows = await (
            qs.filter(**{f"{parent_column}__in": set(parent_ids)})
            .annotate(_n=Count("id")).group_by(parent_column).values_list(parent_column, "_n")
        )
        counts = dict(rows)
        return [counts.get(p, 0) for p in parent_ids]

    return DataLoader(load_fn=load)
