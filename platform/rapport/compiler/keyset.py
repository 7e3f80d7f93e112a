"""Orderings and keyset cursors as SQL, exactly as ``rapport.graphql.core.pagination`` pages with tortoise:
the id breaks ties in the last key's direction, NULLs sort last (a flag first), and a cursor holds the sort
keys of its row."""

from __future__ import annotations

from typing import Any

from rapport.compiler.dialect import PARAM, Dialect
from rapport.graphql.core.pagination import SortKey


def reference(key: SortKey, table: str) -> str:
    return key.reference(table)


def _flag(key: SortKey, table: str) -> str:
    return f"CASE WHEN {reference(key, table)} IS NULL THEN 1 ELSE 0 END"


def order_sql(keys: list[tuple[SortKey, bool]], table: str, backward: bool) -> str:
    terms = []
    for key, desc in keys:
        if key.nullable:
            terms.append(f"{_flag(key, table)} {'DESC' if backward else 'ASC'}")
        terms.append(f"{reference(key, table)} {'DESC' if desc != backward else 'ASC'}")
    return ", ".join(terms)


def key_values(keys: list[tuple[SortKey, bool]], table: str, dialect: Dialect) -> str:
    """The row's sort keys as a JSON array (times as the cursor writes them)."""
    items = []
    for key, _ in keys:
        value = reference(key, table)
        items.append(dialect.datetime(value) if key.kind == "datetime" else value)
    return dialect.array(items)


def after_sql(
    keys: list[tuple[SortKey, bool]], values: list[Any], backward: bool, table: str, dialect: Dialect, model: Any
) -> tuple[str, list[Any]]:
    """Rows strictly after the cursor row in the read order: a lexicographic OR of ANDs."""
    expanded: list[tuple[str, bool, Any]] = []  # (expression, descending in read order, value)
    for (key, desc), value in zip(keys, values, strict=True):
        if key.nullable:
            expanded.append((_flag(key, table), backward, 1 if value is None else 0))
            if value is None:
                continue
        bound = dialect.bind_datetime(model, key.column, value) if key.kind == "datetime" and not key.sql else value
        expanded.append((reference(key, table), desc != backward, bound))
    alternatives: list[str] = []
    params: list[Any] = []
    for i, (expression, desc, value) in enumerate(expanded):
        terms = []
        for prior, _, prior_value in expanded[:i]:
            terms.append(f"{prior} = {PARAM}")
            params.append(prior_value)
        terms.append(f"{expression} {'<' if desc else '>'} {PARAM}")
        params.append(value)
        alternatives.append("(" + " AND ".join(terms) + ")")
    if not alternatives:
        return "1=1", []
    return "(" + " OR ".join(alternatives) + ")", params
