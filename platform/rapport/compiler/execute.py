"""Answer a read operation with one SQL statement per root field, or say it cannot (None: resolvers).

    result = await run_compiled(execution_context)   # graphql ExecutionResult, or None

The operation has been parsed, validated, authorized at the gate and charged to the rate limits before
this runs (it is the last step of the schema's extensions); it only replaces graphql-core's execution.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from graphql import ExecutionResult, GraphQLError, GraphQLNonNull, OperationDefinitionNode, OperationType
from graphql.execution.values import get_variable_values
from tortoise import connections

from rapport.compiler import NotCompiled
from rapport.db_busy import MESSAGE, is_database_busy
from rapport.graphql.service_unavailable import service_unavailable
from rapport.compiler.build import Build, Run
from rapport.compiler.dialect import dialect_for
from rapport.compiler.roots import Scopes, compile_root, fields_token, plan_token
from rapport.compiler.statement_cache import Compiled, RecipeFailed, bind, cache_key, lookup, store, symbolic_variables
from rapport.plugins import active
from rapport.compiler.selection import collect
from rapport.graphql.core.errors import ClientError

log = structlog.get_logger("rapport.compiler")

# What the databases say of a statement nested too deeply (SQLite's parser stack holds about 100 levels):
# the resolvers answer such an operation instead.
TOO_DEEP = ("parser stack overflow", "stack depth limit exceeded")
COMPILED = "compiled"
RESOLVERS = "resolvers"


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


async def run_compiled(execution_context: Any) -> ExecutionResult | None:
    context = execution_context.context
    settings = getattr(context, "settings", None)
    if settings is None or not settings.compiled_reads or getattr(context, "actor", None) is None:
        return None
    document = execution_context.graphql_document
    operation = _operation(document, execution_context.operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    schema = execution_context.schema
    try:
        return await _run(context, schema, document, operation, execution_context.variables or {},
                          execution_context.query or "")
    except (NotCompiled, ClientError, GraphQLError) as reason:
        log.debug("read served by the resolvers", reason=str(reason))
        return None
    except Exception:
        # A fault of the compiler must not cost the reader the answer: production falls back to the
        # resolvers (and logs it); development fails loudly so that tests see it.
        if not settings.is_production:
            raise
        log.exception("compiled read failed; served by the resolvers", request_id=getattr(context, "request_id", None))
        return None


async def _run(context: Any, schema: Any, document: Any, operation: OperationDefinitionNode, raw_variables: dict[str, Any],
               query: str) -> ExecutionResult:
    plan = await context.plan()
    from rapport.authz.sql import department_codes_by_id, departments_generation

    codes = await department_codes_by_id()
    connection = connections.get("default")
    dialect = dialect_for(connection.capabilities.dialect)
    now = context.loaders.setdefault("now", datetime.now(UTC))
    symbolic = symbolic_variables(document, operation)
    operation_name = operation.name.value if operation.name else None
    key = cache_key((query, operation_name, plan_token(plan), departments_generation(), fields_token(active().fields), dialect.name),
                    raw_variables, symbolic)
    compiled = lookup(key) if key is not None else None
    statements: list[tuple[str, str | None, list[Any], Any]] | None = None
    if compiled is not None:
        try:
            statements = [(k, sql, bind(params, raw_variables), shaper) for k, sql, params, shaper in compiled.statements]
        except (RecipeFailed, ClientError, KeyError):
            compiled = None
    if compiled is None:
        compiled, statements, cacheable = await _compile(context, schema, document, operation, raw_variables, plan, codes,
                                                         dialect, now, symbolic)
        if cacheable and key is not None:
            store(key, compiled)
    assert statements is not None
    nullable = compiled.nullable
    run = Run(context=context, now=now, codes=codes)
    data: dict[str, Any] | None = {}
    errors: list[GraphQLError] = []
    for key, sql, params, shaper in statements:
        if sql is None:  # answered without the database (an id that names nothing, the viewer's roles)
            data[key] = shaper(None, run) if shaper is not None else None
            continue
        try:
            _, rows = await connection.execute_query(sql, params)
        except Exception as error:
            if any(limit in str(error) for limit in TOO_DEEP):
                raise NotCompiled("a statement nested deeper than the database parses") from error
            if not is_database_busy(error):
                raise
            # As the resolvers answer it: SERVICE_UNAVAILABLE (503, Retry-After) on the field; a non-null
            # field takes the whole answer with it.
            errors.append(service_unavailable(GraphQLError(MESSAGE, path=[key], original_error=error), context))
            if not nullable[key]:
                data = None
                break
            data[key] = None
            continue
        value = orjson.loads(rows[0][0]) if rows and rows[0][0] is not None else None
        data[key] = shaper(value, run) if shaper is not None else value
    context.loaders["#readPath"] = {k: COMPILED for k, _, _, _ in statements}
    return ExecutionResult(data=data, errors=errors or None)


async def _compile(
    context: Any, schema: Any, document: Any, operation: OperationDefinitionNode, raw_variables: dict[str, Any],
    plan: Any, codes: dict[int, str], dialect: Any, now: datetime, symbolic: frozenset[str],
) -> tuple[Compiled, list[tuple[str, str | None, list[Any], Any]], bool]:
    """Compile every root field: the statements to keep (symbolic parameters as Sources), the statements
    to run now (their values), and whether they may be kept."""
    graphql_schema = schema._schema
    coerced = get_variable_values(graphql_schema, operation.variable_definitions or (), raw_variables)
    if isinstance(coerced, list):
        raise NotCompiled("variables the resolvers must refuse")
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    fields = collect(graphql_schema, graphql_schema.query_type, [operation.selection_set], fragments, coerced)
    scopes = Scopes(plan, codes, dialect.name, schema.config, schema.schema_converter.scalar_registry)
    scopes.graphql_schema, scopes.fragments, scopes.variables = graphql_schema, fragments, coerced
    scopes.symbolic = symbolic
    await scopes.prepare()
    kept: list[tuple[str, str | None, list[Any], Any]] = []
    running: list[tuple[str, str | None, list[Any], Any]] = []
    cacheable = True
    for selected in fields:
        if selected.name == "__typename":
            entry = (selected.key, None, [], lambda _, run: "Query")
            kept.append(entry)
            running.append(entry)
            continue
        build = Build(plan=plan, codes=codes, dialect=dialect, context=context, now=now, scopes=scopes)
        sql, shaper = await compile_root(build, selected)
        text = None if sql is None else dialect.finish(sql)
        kept.append((selected.key, text, build.kept_params(), shaper))
        running.append((selected.key, text, build.params, shaper))
        cacheable = cacheable and build.cacheable
    nullable = {f.key: f.definition is None or not isinstance(f.definition.type, GraphQLNonNull) for f in fields}
    return Compiled(kept, nullable), running, cacheable
