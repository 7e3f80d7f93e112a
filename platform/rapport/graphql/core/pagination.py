"""Relay connections with keyset cursors.

A cursor holds the sort-key values of its row (plus the id, which breaks ties), so a page starts
exactly after (or before) that row whatever was inserted or deleted meanwhile: no row is lost or
repeated across pages. NULLs always sort last, whichever the direction, on SQLite and PostgreSQL
alike (a CASE flag is the first key of a nullable column). ``first``/``last`` default to 20 and are
rejected above 100.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from strawberry.relay import PageInfo
from tortoise.expressions import Q, RawSQL
from tortoise.models import Model
from tortoise.queryset import QuerySet

from rapport.graphql.core.errors import ClientError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

NodeT = TypeVar("NodeT")


@dataclass(frozen=True)
class SortKey:
    """One ordering column. ``kind`` says how cursor values decode: "datetime", "int", "str".

    With ``sql`` the key is that SQL expression (e.g. a CASE giving a rank), annotated as ``column``.
    """

    column: str
    kind: str = "str"
    nullable: bool = False
    sql: str | None = None

    def reference(self, table: str) -> str:
        """The key in raw SQL: the table-qualified column (unambiguous under joins), or the expression."""
        return f"({self.sql})" if self.sql else f'"{table}"."{self.column}"'


@dataclass(frozen=True)
class Ordering:
    """Sort keys with their directions (True = descending); the id is always appended as tie-breaker."""

    keys: tuple[tuple[SortKey, bool], ...]
    signature: str  # e.g. "CREATED_AT:DESC": a cursor is only valid for the ordering that made it

    def with_id(self) -> list[tuple[SortKey, bool]]:
        last_desc = self.keys[-1][1] if self.keys else False
        return [*self.keys, (SortKey("id", "int"), last_desc)]


@strawberry.type(description="An edge: a node and the cursor to page from it.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list: `nodes` (or `edges` with cursors), paging info and the total.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    nodes: list[NodeT]
    page_info: PageInfo
    count_total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many rows match the filter (all pages, only rows the viewer may read).")
    async def total_count(self) -> int:
        return await self.count_total()


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def size_and_direction(self) -> tuple[int, bool]:
        """(page size, backward?)."""
        if self.first is not None and self.last is not None:
            raise ClientError("pass either first or last, not both")
        if self.after is not None and self.before is not None:
            raise ClientError("pass either after or before, not both")
        backward = self.last is not None or (self.before is not None and self.first is None)
        size = (self.last if backward else self.first)
        size = DEFAULT_PAGE_SIZE if size is None else size
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise ClientError(f"{'last' if backward else 'first'} must be between 0 and {MAX_PAGE_SIZE} (got {size})")
        return size, backward


def flag_alias(column: str) -> str:
    return f"_null_{column}"


def _encode(signature: str, values: list[Any]) -> str:
    raw = orjson.dumps([signature, *[v.isoformat() if isinstance(v, datetime) else v for v in values]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, ordering: Ordering, keys: list[tuple[SortKey, bool]]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        signature, *values = orjson.loads(base64.urlsafe_b64decode(padded))
        if signature != ordering.signature or len(values) != len(keys):
            raise ValueError
        return [_typed(key, value) for (key, _), value in zip(keys, values, strict=True)]
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise ClientError("invalid cursor (cursors are only valid with the orderBy that produced them)") from None


def _typed(key: SortKey, value: Any) -> Any:
    if value is None:
        if not key.nullable:
            raise ValueError
        return None
    if key.kind == "datetime":
        return datetime.fromisoformat(value)
    if key.kind == "int" and not isinstance(value, int):
        raise ValueError
    return value


def _annotated(qs: QuerySet, keys: list[tuple[SortKey, bool]]) -> QuerySet:
    expressions = {k.column: RawSQL(k.sql) for k, _ in keys if k.sql}
    table = qs.model._meta.db_table
    flags = {flag_alias(k.column): RawSQL(f"CASE WHEN {k.reference(table)} IS NULL THEN 1 ELSE 0 END") for k, _ in keys if k.nullable}
    return qs.annotate(**expressions, **flags) if expressions or flags else qs


def _order_terms(keys: list[tuple[SortKey, bool]], backward: bool) -> list[str]:
    terms = []
    for key, desc in keys:
        if key.nullable:
            terms.append(("-" if backward else "") + flag_alias(key.column))  # NULLs last when reading forward
        terms.append(("-" if desc != backward else "") + key.column)
    return terms


def _after_q(keys: list[tuple[SortKey, bool]], values: list[Any], backward: bool) -> Q:
    """Rows strictly after the cursor row in the (possibly reversed) ordering: a lexicographic OR of ANDs."""
    # Expand each nullable key into (flag, value) comparisons so NULLs compare like any value.
    expanded: list[tuple[str, bool, Any]] = []  # (column or flag, descending in read order, value)
    for (key, desc), value in zip(keys, values, strict=True):
        if key.nullable:
            expanded.append((flag_alias(key.column), backward, 1 if value is None else 0))
            if value is None:
                continue  # among NULLs only the tie-breaker orders rows
        expanded.append((key.column, desc != backward, value))
    alternatives: Q | None = None
    for i, (column, desc, value) in enumerate(expanded):
        clause = Q(**{f"{column}__{'lt' if desc else 'gt'}": value})
        for prior_column, _, prior_value in expanded[:i]:
            clause &= Q(**{prior_column: prior_value})
        alternatives = clause if alternatives is None else alternatives | clause
    return alternatives if alternatives is not None else Q()


async def paginate(
    qs: QuerySet,
    ordering: Ordering,
    page: PageRequest,
    to_node: Callable[[Model], NodeT],
    count_qs: QuerySet | None = None,
) -> Connection[NodeT]:
    """One page of ``qs`` (already filtered and scoped) as a Connection; ``totalCount`` runs only if asked."""
    size, backward = page.size_and_direction()
    keys = ordering.with_id()
    cursor = page.before if backward else page.after
    scoped = _annotated(qs, keys)
    if cursor is not None:
        scoped = scoped.filter(_after_q(keys, _decode(cursor, ordering, keys), backward))
    rows = list(await scoped.order_by(*_order_terms(keys, backward)).limit(size + 1)) if size else []
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    edges = [Edge(cursor=_encode(ordering.signature, [getattr(row, k.column) for k, _ in keys]), node=to_node(row)) for row in rows]
    counted = count_qs if count_qs is not None else qs

    async def count_total() -> int:
        return await counted.count()

    return Connection(
        edges=edges,
        nodes=[edge.node for edge in edges],
        page_info=PageInfo(
            has_next_page=more if not backward else page.before is not None,
            has_previous_page=more if backward else page.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_total=count_total,
    )


def ordering_from(
    order_by: Sequence[Any] | None, columns: dict[str, SortKey], default: tuple[str, bool]
) -> Ordering:
    """Build an Ordering from ``orderBy`` inputs (objects with ``field`` and ``direction`` enums)."""
    chosen: list[tuple[str, bool]] = (
        [(item.field.value, item.direction.value == "DESC") for item in order_by] if order_by else [default]
    )
    if len({name for name, _ in chosen}) != len(chosen):
        raise ClientError("orderBy: each field at most once")
    keys = tuple((columns[name], desc) for name, desc in chosen)
    signature = ",".join(f"{name}:{'DESC' if desc else 'ASC'}" for name, desc in chosen)
    return Ordering(keys=keys, signature=signature)
