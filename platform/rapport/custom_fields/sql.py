"""Custom fields in SQL: one expression per field and database, shared by filters, sorting and indexes
(an expression index is only used when the query spells the same expression).

    SQLite      json_extract("custom", '$.loyalty_points')            int, string, enum, date, datetime
                CAST(json_extract("custom", '$.revenue') AS REAL)     decimal
    PostgreSQL  (("custom"->>'loyalty_points')::bigint)               int
                (("custom"->>'revenue')::double precision)            decimal
                (("custom"->>'active')::boolean)                      bool
                ("custom"->>'region')                                 string, enum, date, datetime

Names are checked by the catalog (snake_case) before they reach SQL; values always travel as
parameters. Indexes are created by the built-in plugin ``rapport.indexes`` at startup (and by
``rapport migrate``): ``CREATE INDEX IF NOT EXISTS idx_cf_<table>_<field>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, RawSQL

from rapport.authz.readable import ReadableRows, nothing_readable
from rapport.custom_fields.catalog import SORTABLE, FieldCatalog
from rapport.custom_fields.json_bounds import json_problem
from rapport.custom_fields.values import coerce
from rapport.graphql.core.annotations import Annotations
from rapport.graphql.core.errors import ClientError
from rapport.graphql.core.json_filter import OPERATORS, json_q
from rapport.graphql.core.pagination import SortKey
from rapport.plugin_api import CustomField, FieldType

TABLES = {"customer": "customers", "interaction": "interactions", "ticket": "tickets"}
COLUMN = "custom"


def expression(field: CustomField, dialect: str, column: str = COLUMN) -> str:
    if dialect == "postgres":
        text = f"(\"{column}\"->>'{field.name}')"
        cast = {FieldType.INT: "bigint", FieldType.DECIMAL: "double precision", FieldType.BOOL: "boolean"}.get(field.type)
        return f"({text}::{cast})" if cast else text
    extracted = f"json_extract(\"{column}\", '$.{field.name}')"
    return f"CAST({extracted} AS REAL)" if field.type is FieldType.DECIMAL else extracted


def index_name(field: CustomField) -> str:
    return f"idx_cf_{TABLES[field.entity]}_{field.name}"[:63]


def index_statement(field: CustomField, dialect: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {index_name(field)} ON {TABLES[field.entity]} (({expression(field, dialect)}))" \
        if dialect == "postgres" else \
        f"CREATE INDEX IF NOT EXISTS {index_name(field)} ON {TABLES[field.entity]} ({expression(field, dialect)})"


# App processes starting together each create the indexes: on PostgreSQL two concurrent
# CREATE INDEX IF NOT EXISTS of one name can both pass the check and one then fails on the catalog's
# unique name. A transaction-scoped advisory lock makes them take turns (the lock wait is generous: a
# first build on a large table may take a while; it is start-up work, not a request).
_INDEX_LOCK_KEY = 0x7261707069647831  # any constant shared by every process of a deployment
_INDEX_LOCK_TIMEOUT = "120s"


async def ensure_indexes(catalog: FieldCatalog, conn: BaseDBAsyncClient) -> list[str]:
    """Create the expression index of every indexed field (idempotent, safe when processes start
    together); their names."""
    dialect = conn.capabilities.dialect
    fields = [field for field in catalog.fields if field.indexed]
    if not fields:
        return []
    statements = [index_statement(field, dialect) for field in fields]
    if dialect == "postgres":
        await conn.execute_script(
            f"BEGIN; SET LOCAL lock_timeout = '{_INDEX_LOCK_TIMEOUT}'; SET LOCAL statement_timeout = 0; "
            f"SELECT pg_advisory_xact_lock({_INDEX_LOCK_KEY}); " + "; ".join(statements) + "; COMMIT;"
        )
    else:
        for statement in statements:
            await conn.execute_script(statement)
    return [index_name(field) for field in fields]


# --- filters --------------------------------------------------------------------------------------------


def _operand(field: CustomField, op: str, value: Any, dialect: str, where: str) -> Any:
    """A filter value in the form the column expression compares with."""
    if op == "isNull":
        return bool(value)
    if op == "in":
        if not isinstance(value, list):
            raise ClientError(f"{where}: in expects a list")
        return [_operand(field, "eq", item, dialect, where) for item in value]
    if op == "contains" and field.type in (FieldType.STRING, FieldType.ENUM):
        if not isinstance(value, str):
            raise ClientError(f"{where}: contains expects a string")
        return value
    try:
        stored = coerce(field, value)
    except ValueError as exc:
        raise ClientError(f"{where}: {value!r} {exc}") from None
    if field.type is FieldType.DECIMAL:
        return float(stored)
    if field.type is FieldType.BOOL and dialect == "sqlite":
        return int(stored)
    return stored


def _field_q(field: CustomField, conditions: Any, annotations: Annotations, where: str, guard: ReadableRows | None = None) -> Q:
    """``conditions`` on ``field``; with ``guard`` (a personal field) the expressions read the value only
    on rows whose field the viewer may read in full."""
    dialect = annotations.dialect
    if not isinstance(conditions, dict) or not conditions:
        raise ClientError(f"{where}: expected {{operator: value}} with one of {sorted(OPERATORS)}")

    def guarded(sql: str) -> RawSQL:
        return RawSQL(guard.guard(sql) if guard is not None else sql)

    q = Q()
    for op, raw in conditions.items():
        if op not in OPERATORS:
            raise ClientError(f"{where}: unknown operator {op!r} (use one of {sorted(OPERATORS)})")
        if field.type is FieldType.STRING_LIST:
            if op == "contains" and isinstance(raw, str):
                q &= Q(**{annotations.add(guarded(array_contains_in_custom(field, raw, dialect))): 1})
                continue
            if op != "isNull":
                raise ClientError(f"{where}: a list of strings filters with contains or isNull")
        if op in ("gt", "gte", "lt", "lte") and field.type not in SORTABLE:
            raise ClientError(f"{where}: {op} does not apply to {field.type.value} fields")
        value = _operand(field, op, raw, dialect, where)
        alias = annotations.add(guarded(expression(field, dialect)))
        if op == "isNull":
            q &= Q(**{f"{alias}__isnull": value})
        elif op == "ne":
            q &= ~Q(**{alias: value}) | Q(**{f"{alias}__isnull": True})
        else:
            q &= Q(**{f"{alias}{OPERATORS[op]}": value})
    return q & guard.q if guard is not None else q


def array_contains_in_custom(field: CustomField, value: str, dialect: str) -> str:
    if dialect == "postgres":
        import json

        needle = "'" + json.dumps([value]).replace("'", "''") + "'"
        return f"CASE WHEN (\"{COLUMN}\"->'{field.name}') @> {needle}::jsonb THEN 1 ELSE 0 END"
    literal = "'" + value.replace("'", "''") + "'"
    return f"CASE WHEN EXISTS (SELECT 1 FROM json_each(\"{COLUMN}\", '$.{field.name}') WHERE json_each.value = {literal}) THEN 1 ELSE 0 END"


def custom_q(
    entity: str, spec: Any, annotations: Annotations, catalog: FieldCatalog, *,
    readable: Mapping[str, ReadableRows] | None = None, argument: str = "where.custom",
) -> Q:
    """The ``custom`` filter (``{"field": {"op": value}}``): defined fields are typed by their definition
    (a bad value is a client error), others compare as their JSON type. ``readable`` maps PII field
    names to the rows whose value the viewer may read in full: on other rows a condition on the field
    is false (and its ``not`` true), whatever the hidden value."""
    if not isinstance(spec, dict):
        raise ClientError(f'{argument}: expected {{"field": {{"operator": value}}}}')
    bound = json_problem(spec)
    if bound is not None:
        raise ClientError(f"{argument} {bound}")
    q = Q()
    untyped: dict[str, Any] = {}
    for name, conditions in spec.items():
        field = catalog.get(entity, name)
        if field is None:
            untyped[name] = conditions
            continue
        guard = None
        if field.pii:
            guard = (readable or {}).get(name) or nothing_readable()
        q &= _field_q(field, conditions, annotations, f"{argument}.{name}", guard)
    if untyped:
        q &= json_q(COLUMN, untyped, annotations, argument)
    return q


# --- sorting --------------------------------------------------------------------------------------------

_CURSOR_KIND = {FieldType.INT: "int", FieldType.DECIMAL: "float"}


def sort_key(field: CustomField, dialect: str, guard: ReadableRows | None = None) -> SortKey:
    """A pagination sort key on the field (NULLs last, like every nullable key); with ``guard`` (a
    personal field) rows whose value the viewer may not read in full sort as NULL."""
    if field.type not in SORTABLE:
        raise ClientError(f"orderBy: custom field {field.name} ({field.type.value}) cannot be sorted")
    sql = expression(field, dialect)
    return SortKey(f"_cf_{field.name}", _CURSOR_KIND.get(field.type, "str"), nullable=True,
                   sql=guard.guard(sql) if guard is not None else sql)


def ordering_with_custom(order_by: Any, columns: dict[str, SortKey], default: tuple[str, bool], entity: str,
                         catalog: FieldCatalog, dialect: str, readable: Mapping[str, ReadableRows] | None = None) -> Any:
    """``ordering_from`` with ``{field: CUSTOM, customField: "name"}`` items sorted by that custom field.
    A personal field sorts by its value only where ``readable`` says the viewer reads it in full, and as
    NULL elsewhere: the order must not tell what masking hides."""
    from types import SimpleNamespace

    from rapport.graphql.core.pagination import ordering_from

    if not order_by or not any(item.field.value == "CUSTOM" for item in order_by):
        return ordering_from(order_by, columns, default)
    columns = dict(columns)
    items = []
    for item in order_by:
        if item.field.value != "CUSTOM":
            items.append(item)
            continue
        name = getattr(item, "custom_field", None)
        field = catalog.get(entity, name) if name else None
        if field is None:
            known = ", ".join(f.name for f in catalog.of(entity) if f.type in SORTABLE) or "none"
            raise ClientError(f"orderBy: CUSTOM needs customField, the name of a custom field (sortable: {known})")
        guard = None
        if field.pii:
            guard = (readable or {}).get(name) or nothing_readable()
        key = f"CUSTOM:{name}"
        columns[key] = sort_key(field, dialect, guard)
        items.append(SimpleNamespace(field=SimpleNamespace(value=key), direction=item.direction))
    return ordering_from(items, columns, default)
