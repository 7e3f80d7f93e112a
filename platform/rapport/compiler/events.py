"""Subscription events read with the compiled statement of the subscriber's selection.

    event = await compiled_event(info, "Ticket", row_id, where=where)   # CompiledEvent, None, or NOT_COMPILED

The subscription yields the ``CompiledEvent``: the schema's executor (``executor.CompiledExecutor``) answers
it with its finished JSON instead of running the resolvers on it. None: the subscriber may not read the
row (or it does not match ``where``), the event is skipped as before. ``NOT_COMPILED``: the selection has
a field the compiler does not cover; the subscription then reads the row as it always did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from tortoise import connections

from rapport import models
from rapport.compiler import NotCompiled
from rapport.compiler.build import Build, Run, object_sql
from rapport.compiler.dialect import dialect_for, quote
from rapport.compiler.roots import Scopes
from rapport.compiler.selection import collect, named_type
from rapport.graphql.core.errors import ClientError
from rapport.mapping.declarations import TYPES

NOT_COMPILED = object()
SCOPES = {"Ticket": ("ticket", models.Ticket), "Interaction": ("interaction", models.Interaction)}


@dataclass(frozen=True)
class CompiledEvent:
    """One event's answer, finished: ``{key: data}``."""

    key: str
    data: Any


async def compiled_event(info: Any, type_name: str, row_id: int, where: Any = None) -> Any:
    context = info.context
    if not context.settings.compiled_reads:
        return NOT_COMPILED
    raw = info._raw_info
    try:
        return await _event(context, info.schema, raw, type_name, row_id, where)
    except (NotCompiled, ClientError):
        return NOT_COMPILED


async def _event(context: Any, schema: Any, raw: Any, type_name: str, row_id: int, where: Any) -> CompiledEvent | None:
    from rapport.authz.sql import department_codes_by_id

    plan = await context.plan()
    codes = await department_codes_by_id()
    connection = connections.get("default")
    dialect = dialect_for(connection.capabilities.dialect)
    scopes = await Scopes.of_request(plan, codes, dialect.name, schema)
    now = context.loaders.setdefault("now", datetime.now(UTC))
    runtime, _ = named_type(raw.return_type)
    if runtime.name != type_name:
        raise NotCompiled("an event of another type")
    children = collect(raw.schema, runtime, [node.selection_set for node in raw.field_nodes if node.selection_set],
                       raw.fragments, raw.variable_values)
    declaration = TYPES[type_name]
    build = Build(plan=plan, codes=codes, dialect=dialect, context=context, now=now, scopes=scopes)
    row, shaper = object_sql(build, declaration, children, declaration.table)
    scope_name, model = SCOPES[type_name]
    if type_name == "Ticket":
        from rapport.graphql.tickets.filters import ticket_q

        rows = scopes.filtered(build, scope_name, model, where, lambda annotations: ticket_q(where, scopes.ids, annotations, now))
    else:
        rows = scopes.filtered(build, scope_name, model, None, None)
    if rows is None:
        return None
    table = quote(declaration.table)
    sql = f"SELECT {row} FROM {table} {table} WHERE {build.splice(*rows)} AND {table}.\"id\" = {build.param(int(row_id))}"
    _, found = await connection.execute_query(dialect.finish(sql), build.params)
    if not found or found[0][0] is None:
        return None
    value = orjson.loads(found[0][0])
    run = Run(context=context, now=now, codes=codes)
    return CompiledEvent(raw.path.key, shaper(value, run) if shaper is not None else value)
