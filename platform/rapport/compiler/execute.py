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

from rapport.compiler import NotCompiled, ResolversAnswerWithAnError
from rapport.db_busy import MESSAGE, is_database_busy
from rapport.graphql.service_unavailable import service_unavailable
from rapport.compiler.build import Build, Run
from rapport.compiler.dialect import dialect_for
from rapport.compiler.roots import Scopes, compile_root, fields_token, plan_token
from rapport.compiler.statement_cache import Compiled, RecipeFailed, bind, cache_key, lookup, store, symbolic_variables
from rapport.plugins import active
from rapport.compiler.selection import collect
from rapport.graphql.core.errors import ClientError
from rapport.graphql.gate import PUBLIC, declared_permission

log = structlog.get_logger("rapport.compiler")

# What the databases say of a statement nested too deeply (SQLite's parser stack holds about 100 levels):
# the resolvers answer such an operation instead.
TOO_DEEP = ("parser stack overflow", "stack depth limit exceeded")
COMPILED = "compiled"
PRECOMPUTED = "#compiled"  # context.loaders key: root fields answered before graphql-core runs the others


def RESOLVED(value: Any, run: Any) -> Any:  # noqa: N802 - a marker: this root field runs through the resolvers
    raise AssertionError("a resolver-served root field has no post-pass")


RESOLVERS = "resolvers"


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


async def run_compiled(execution_context: Any) -> ExecutionResult | None:
    """The operation's result when every root field compiled; None when graphql-core must run it (some
    or all root fields through the resolvers: the compiled ones wait in the context for the executor)."""
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
        _forget_partial_answers(context)
        return None
    except Exception:
        # A fault of the compiler must not cost the reader the answer: production falls back to the
        # resolvers (and logs it); development fails loudly so that tests see it.
        if not settings.is_production:
            raise
        log.exception("compiled read failed; served by the resolvers", request_id=getattr(context, "request_id", None))
        _forget_partial_answers(context)
        return None


def _forget_partial_answers(context: Any) -> None:
    """The resolvers answer the whole operation: nothing the compiled path noted may count twice."""
    context.redactions.clear()
    context.loaders.pop("#readPath", None)
    context.loaders.pop(PRECOMPUTED, None)


async def _run(context: Any, schema: Any, document: Any, operation: OperationDefinitionNode, raw_variables: dict[str, Any],
               query: str) -> ExecutionResult | None:
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
    if all(shaper is RESOLVED for _, _, _, shaper in statements):
        raise NotCompiled("no root field compiles")
    for key, sql, params, shaper in statements:
        if shaper is RESOLVED:
            continue
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
    context.loaders["#readPath"] = {k: RESOLVERS if shaper is RESOLVED else COMPILED for k, _, _, shaper in statements}
    partial = any(shaper is RESOLVED for _, _, _, shaper in statements)
    if partial and errors:
        raise NotCompiled("the database is busy: the resolvers answer the whole operation")
    if data is not None and partial:
        # graphql-core runs the operation; CompiledExecutor answers the compiled root fields from here.
        context.loaders[PRECOMPUTED] = data
        return None
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
    scopes = await Scopes.of_request(plan, codes, dialect.name, schema)
    scopes.graphql_schema, scopes.fragments, scopes.variables = graphql_schema, fragments, coerced
    scopes.symbolic = symbolic
    kept: list[tuple[str, str | None, list[Any], Any]] = []
    running: list[tuple[str, str | None, list[Any], Any]] = []
    cacheable = True
    for selected in fields:
        if selected.name == "__typename":
            entry = (selected.key, None, [], lambda _, run: "Query")
            kept.append(entry)
            running.append(entry)
            continue
        permission = declared_permission((selected.definition.extensions or {}).get("strawberry-definition"))
        if permission is not None and permission[0] != PUBLIC and not plan.allows(*permission):
            raise ResolversAnswerWithAnError(f"forbidden: {selected.key}")  # the gate's error, as the resolvers give it
        build = Build(plan=plan, codes=codes, dialect=dialect, context=context, now=now, scopes=scopes)
        try:
            sql, shaper = await compile_root(build, selected)
        except (ResolversAnswerWithAnError, ClientError, GraphQLError):
            raise
        except NotCompiled as reason:
            # This root field runs through the resolvers; the others stay compiled.
            log.debug("root field served by the resolvers", field=selected.key, reason=str(reason))
            kept.append((selected.key, None, [], RESOLVED))
            running.append((selected.key, None, [], RESOLVED))
            cacheable = False
            continue
        text = None if sql is None else dialect.finish(sql)
        kept.append((selected.key, text, build.kept_params(), shaper))
        running.append((selected.key, text, build.params, shaper))
        cacheable = cacheable and build.cacheable
    nullable = {f.key: f.definition is None or not isinstance(f.definition.type, GraphQLNonNull) for f in fields}
    return Compiled(kept, nullable), running, cacheable
