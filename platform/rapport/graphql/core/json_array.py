"""'JSON array column contains this string', as an integer SQL expression (1/0) on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tortoise.expressions import RawSQL


def _sql_literal(text: str) -> str:
    # Standard SQL quoting (both databases: PostgreSQL has standard_conforming_strings on), NUL refused.
    if "\x00" in text:
        raise ValueError("NUL in value")
    return "'" + text.replace("'", "''") + "'"


def array_contains(column: str, value: str, dialect: str) -> RawSQL:
    if dialect == "postgres":
        needle = _sql_literal(json.dumps([value]))
        return RawSQL(f'CASE WHEN "{column}"::jsonb @> {needle}::jsonb THEN 1 ELSE 0 END')
    return RawSQL(f'CASE WHEN EXISTS (SELECT 1 FROM json_each("{column}") WHERE json_each.value = {_sql_literal(value)}) THEN 1 ELSE 0 END')
