"""``custom`` filters on JSON columns, on SQLite and PostgreSQL.

tortoise's JSON filters are not implemented for SQLite (tortoise#1961), so the value is extracted with
SQL each database understands (``json_extract`` / ``->>`` with a cast) into an annotation, and the
ordinary operators filter on it. Field names are checked against a strict pattern before they reach
SQL; values always travel as parameters. The comparison type follows the JSON type of the value given.
"""

from __future__ import annotations

import re
from typing import Any

from tortoise.expressions import Q, RawSQL

from rapport.graphql.core.annotations import Annotations
from rapport.graphql.core.errors import ClientError

FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
OPERATORS = {"eq": "", "ne": "", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte", "in": "__in", "contains": "__icontains", "isNull": ""}


def _kind(value: Any) -> str:
    sample = value[0] if isinstance(value, list) and value else value
    if isinstance(sample, bool):
        return "bool"
    if isinstance(sample, (int, float)):
        return "number"
    return "text"


def _is_operand(value: Any, op: str) -> bool:
    """Only scalars (a list of them for ``in``) can be compared; anything else has no SQL parameter form."""
    scalar = (str, int, float, bool)
    if op == "in":
        return isinstance(value, list) and all(isinstance(item, scalar) for item in value)
    return isinstance(value, scalar) or (op == "isNull" and value is None)


def _extract(dialect: str, column: str, field: str, kind: str) -> str:
    if dialect == "postgres":
        text = f"(\"{column}\"->>'{field}')"
        return {"number": f"{text}::numeric", "bool": f"{text}::boolean", "text": text}[kind]
    return f"json_extract(\"{column}\", '$.{field}')"


def json_q(column: str, spec: Any, annotations: Annotations, argument: str = "custom") -> Q:
    """A predicate on fields of the JSON column; the extracted values become annotations."""
    dialect = annotations.dialect
    if not isinstance(spec, dict):
        raise ClientError(f'{argument}: expected {{"field": {{"operator": value}}}}')
    q = Q()
    for field, conditions in spec.items():
        if not FIELD_NAME.match(field):
            raise ClientError(f"{argument}: {field!r} is not a field name")
        if not isinstance(conditions, dict) or not conditions:
            raise ClientError(f"{argument}.{field}: expected {{operator: value}} with one of {sorted(OPERATORS)}")
        for op, value in conditions.items():
            if op not in OPERATORS:
                raise ClientError(f"{argument}.{field}: unknown operator {op!r} (use one of {sorted(OPERATORS)})")
            if not _is_operand(value, op):
                raise ClientError(f"{argument}.{field}.{op}: expected a text, number or boolean"
                                  + (" (or a list of them)" if op == "in" else ""))
            kind = "text" if op == "isNull" else _kind(value)
            if dialect == "sqlite" and kind == "bool":
                value = [int(v) for v in value] if isinstance(value, list) else int(value)
            alias = annotations.add(RawSQL(_extract(dialect, column, field, kind)))
            if op == "isNull":
                q &= Q(**{f"{alias}__isnull": bool(value)})
            elif op == "ne":
                q &= ~Q(**{alias: value}) | Q(**{f"{alias}__isnull": True})
            else:
                q &= Q(**{f"{alias}{OPERATORS[op]}": value})
    return q
