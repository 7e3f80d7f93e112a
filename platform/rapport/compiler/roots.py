"""The root fields the compiler serves, and the readable-rows conditions every level uses.

Each condition is the resolvers' own (``readable_customers``, ``ticket_scope``, ``interaction_scope``, the
filters' ``*_q``), rendered to SQL once per (plan, departments, filter) and then reused: a warm request
renders nothing. A root field it does not know raises ``NotCompiled``.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from strawberry.types.arguments import convert_arguments
from tortoise.expressions import Q

from rapport import models
from rapport.authz.plan import PermissionPlan
from rapport.authz.sql import departments_generation, row_filter
from rapport.compiler import NotCompiled, ResolversAnswerWithAnError
from rapport.compiler.build import Build, connection_sql, object_sql
from rapport.compiler.dialect import PARAM, quote
from rapport.compiler.selection import Field, collect
from rapport.compiler.where import condition, lookup, remember
from rapport.graphql.core.annotations import Annotations
from rapport.graphql.core.ids import parse_global_id
from rapport.graphql.core.pagination import PageRequest, ordering_from
from rapport.mapping.declarations import TYPES
from rapport.mapping.kinds import TypeDeclaration
from rapport.plugins import active

_tokens = itertools.count(1)
SCOPES = ("customer", "ticket", "interaction", "ticket_count")


_catalogs: dict[int, tuple[Any, int]] = {}


def fields_token(catalog: Any) -> int:
    """A number naming this catalog of custom fields (kept with it: its id is not reused meanwhile)."""
    found = _catalogs.get(id(catalog))
    if found is None or found[0] is not catalog:
        if len(_catalogs) > 256:
            _catalogs.clear()
        found = _catalogs[id(catalog)] = (catalog, next(_tokens))
    return found[1]


def plan_token(plan: PermissionPlan) -> int:
    """A number naming this plan for as long as it lives (plans are rebuilt when the policy changes)."""
    token = getattr(plan, "_compiler_token", None)
    if token is None:
        token = next(_tokens)
        plan._compiler_token = token  # type: ignore[attr-defined]
    return token


_ARGUMENT_NAMES: dict[int, tuple[Any, tuple[tuple[str, str, Any], ...]]] = {}
_CONVERTED: OrderedDict[tuple[int, str], tuple[Any, Any]] = OrderedDict()
CONVERTED_CACHE_SIZE = 2048


def strawberry_arguments(selected: Field, config: Any, scalars: Any) -> dict[str, Any]:
    """The field's arguments as its resolver receives them (strawberry input objects and enums).

    Scalars pass as graphql-core coerced them; input objects and lists are converted by strawberry (its
    lazy types make that costly) once per distinct value, then reused."""
    definition = (selected.definition.extensions or {}).get("strawberry-definition")
    if definition is None:
        raise NotCompiled(f"{selected.name} has no strawberry definition")
    found = _ARGUMENT_NAMES.get(id(definition))
    if found is None or found[0] is not definition:  # the definition itself is kept: its id is not reused
        if len(_ARGUMENT_NAMES) > 4096:
            _ARGUMENT_NAMES.clear()
        found = _ARGUMENT_NAMES[id(definition)] = (definition, tuple(
            (config.name_converter.get_graphql_name(argument), argument.python_name, argument)
            for argument in definition.arguments
        ))
    names = found[1]
    out: dict[str, Any] = {}
    for graphql_name, python_name, argument in names:
        if graphql_name not in selected.arguments:
            continue
        value = selected.arguments[graphql_name]
        if isinstance(value, (dict, list)):
            key = (id(argument), repr(value))
            kept = _CONVERTED.get(key)
            converted = kept[1] if kept is not None and kept[0] is argument else None
            if converted is None:
                converted = convert_arguments({graphql_name: value}, [argument], scalar_registry=scalars, config=config)[python_name]
                _CONVERTED[key] = (argument, converted)
                if len(_CONVERTED) > CONVERTED_CACHE_SIZE:
                    _CONVERTED.popitem(last=False)
            else:
                _CONVERTED.move_to_end(key)
            out[python_name] = converted
        else:
            out[python_name] = value
    return out


class Scopes:
    """The viewer's readable rows as SQL, per request; renderings are cached across requests."""

    def __init__(self, plan: PermissionPlan, codes: dict[int, str], dialect: str, config: Any, scalars: Any) -> None:
        self.plan = plan
        self.codes = codes
        self.ids = {code: pk for pk, code in codes.items()}
        self.dialect = dialect
        self.config = config
        self.scalars = scalars
        self.token = plan_token(plan)
        self.generation = departments_generation()
        self.rendered: dict[str, tuple[str, tuple[Any, ...]] | None] = {}
        self.symbolic: frozenset[str] = frozenset()  # variables bound per request (statement_cache)
        self.graphql_schema: Any = None  # set by the executor: node(id) collects its fields per concrete type
        self.fragments: dict[str, Any] = {}
        self.variables: dict[str, Any] = {}

    def key(self, *parts: Any) -> tuple[Any, ...]:
        return (self.token, self.generation, fields_token(active().fields), self.dialect, *parts)

    @classmethod
    async def of_request(cls, plan: PermissionPlan, codes: dict[int, str], dialect: str, schema: Any) -> Scopes:
        """The scopes of one request on ``schema`` (the strawberry schema), rendered or found."""
        scopes = cls(plan, codes, dialect, schema.config, schema.schema_converter.scalar_registry)
        await scopes.prepare()
        return scopes

    async def prepare(self) -> None:
        """Render (or find) the four readable-rows conditions."""
        from rapport.services.interactions import interaction_scope
        from rapport.services.tickets import ticket_scope

        for name in SCOPES:
            key = self.key("scope", name)
            found = lookup(key)
            if found is not None:
                self.rendered[name] = None if found[0] == "1=0" and found[1] == ("none",) else found
                continue
            if name == "customer":
                scope = await row_filter(self.plan, "customer", "read")
                q, model = (None if scope is None else scope & Q(deleted_at__isnull=True)), models.Customer
            elif name == "ticket":
                q, model = await ticket_scope(self.plan, "read"), models.Ticket
            elif name == "interaction":
                q, model = await interaction_scope(self.plan, "read"), models.Interaction
            else:
                q, model = await row_filter(self.plan, "ticket", "read", owner_field="assignee_id"), models.Ticket
            if q is None:
                remember(key, ("1=0", ("none",)))
                self.rendered[name] = None
            else:
                self.rendered[name] = condition(model, q, key=key)

    def scope(self, build: Build, name: str) -> str | None:
        rendered = self.rendered[name]
        return None if rendered is None else build.splice(*rendered)

    def counted(self, build: Build, target: str) -> str | None:
        if target != "Ticket":
            raise NotCompiled(f"count of {target}")
        return self.scope(build, "ticket_count")

    def personal_custom_fields(self, entity: str) -> list[Any]:
        return list(active().fields.pii(entity))

    def now(self, build: Build) -> datetime:
        return build.context.loaders.setdefault("now", datetime.now(UTC))

    # --- filters -----------------------------------------------------------------------------------------
    def filter_key(self, model: Any, where: Any) -> tuple[Any, ...] | None:
        """The cache key of ``where`` rendered on ``model`` (None: it holds this moment only)."""
        text = repr(where)
        if "breached=True" in text or "breached=False" in text:
            return None
        return self.key("filter", model.__name__, text)

    def filtered(self, build: Build, name: str, model: Any, where: Any, make_q: Any,
                 annotations: Annotations | None = None) -> tuple[str, tuple[Any, ...]] | None:
        """The readable rows of scope ``name`` that match ``where`` (None: no row). ``make_q(annotations)``
        gives the filter's condition when it is not rendered yet (with ``annotations`` when given: the
        ones the condition was built with)."""
        scope = self.rendered[name]
        if scope is None:
            return None
        if where is None:
            return scope
        key = self.filter_key(model, where)
        if key is None:
            build.cacheable = False  # the condition holds this moment
        found = lookup(key) if key is not None else None
        if found is None:
            annotations = annotations or Annotations(self.dialect)
            found = condition(model, make_q(annotations), annotations, key=key)
        return f"({scope[0]} AND {found[0]})", scope[1] + found[1]

    def nested_connection(self, build: Build, target: TypeDeclaration, selected: Field, correlation: str) -> tuple[str, Any]:
        args = strawberry_arguments(selected, self.config, self.scalars)
        page = PageRequest(args.get("first"), args.get("after"))
        if page.size_and_direction()[1]:
            raise NotCompiled("nested lists page forward only")
        where = args.get("where")
        if target.name == "Interaction":
            from rapport.graphql.interactions.filters import DEFAULT_ORDER, SORT_KEYS, interaction_q

            ordering = ordering_from(args.get("order_by"), SORT_KEYS, DEFAULT_ORDER)
            rows = self.filtered(build, "interaction", models.Interaction, where, lambda annotations: interaction_q(where))
        elif target.name == "Ticket":
            from rapport.graphql.tickets.filters import ticket_ordering, ticket_q

            ordering = ticket_ordering(args.get("order_by"))
            now = self.now(build)
            rows = self.filtered(build, "ticket", models.Ticket, where,
                                 lambda annotations: ticket_q(where, self.ids, annotations, now))
        else:
            raise NotCompiled(f"nested list of {target.name}")
        if rows is None:
            rows = ("1=0", ())
        return connection_sql(build, target, selected, (f"{correlation} AND {rows[0]}", rows[1]), ordering, page)


# --- root fields ----------------------------------------------------------------------------------------------

ROOT_PERMISSIONS = {
    "customer": ("customer", "read"), "customers": ("customer", "read"),
    "ticket": ("ticket", "read"), "tickets": ("ticket", "read"),
    "interactions": ("interaction", "read"),
}


async def compile_root(build: Build, selected: Field) -> tuple[str | None, Any]:
    """The statement answering one root field and its post-pass (no statement: the answer is null without
    asking the database)."""
    if selected.name in ("node", "nodes", "departments", "agents", "viewer"):
        return await compile_public_root(build, selected)
    permission = ROOT_PERMISSIONS.get(selected.name)
    if permission is None:
        raise NotCompiled(f"root field {selected.name}")
    if not build.plan.allows(*permission):
        raise ResolversAnswerWithAnError("forbidden: the resolvers report it")
    scopes: Scopes = build.scopes
    args = strawberry_arguments(selected, scopes.config, scopes.scalars)
    name = selected.name
    if name in ("customer", "ticket"):
        declaration = TYPES["Customer" if name == "customer" else "Ticket"]
        scope_name = "customer" if name == "customer" else "ticket"
        number = args.get("number") if name == "ticket" else None
        if name == "ticket" and number is None and args.get("id") is None:
            raise ResolversAnswerWithAnError("ticket: give id or number")
        pk = parse_global_id(args["id"], declaration.name) if args.get("id") is not None else None
        if (args.get("id") is not None and pk is None) or scopes.rendered[scope_name] is None:
            build.cacheable = False
            return None, None
        if number is not None:
            from rapport.graphql.core.filters import column_text

            number = column_text(number.strip().upper(), "number", models.Ticket, "number")
        row, shaper = object_sql(build, declaration, selected.children, declaration.table)
        table = quote(declaration.table)
        conditions = [scopes.scope(build, scope_name)]
        if pk is not None:
            conditions.append(f"{table}.\"id\" = {build.param(pk, _id_source(scopes, selected, declaration.name))}")
        if number is not None:
            conditions.append(f"{table}.\"number\" = {build.param(number)}")
        return f"SELECT {row} FROM {table} {table} WHERE {' AND '.join(conditions)}", shaper
    page = PageRequest(args.get("first"), args.get("after"), args.get("last"), args.get("before"))
    where = args.get("where")
    if name == "customers":
        from rapport.graphql.customers.filters import customer_ordering, customer_q

        declaration = TYPES["Customer"]
        ordering = await customer_ordering(args.get("order_by"), build.plan, scopes.dialect)
        rows = await _customer_rows(scopes, build, where, customer_q)
    elif name == "tickets":
        from rapport.graphql.tickets.filters import ticket_ordering, ticket_q

        declaration = TYPES["Ticket"]
        ordering = ticket_ordering(args.get("order_by"))
        now = scopes.now(build)
        rows = scopes.filtered(build, "ticket", models.Ticket, where, lambda annotations: ticket_q(where, scopes.ids, annotations, now))
    else:
        from rapport.graphql.interactions.filters import DEFAULT_ORDER, SORT_KEYS, interaction_q

        declaration = TYPES["Interaction"]
        ordering = ordering_from(args.get("order_by"), SORT_KEYS, DEFAULT_ORDER)
        rows = scopes.filtered(build, "interaction", models.Interaction, where, lambda annotations: interaction_q(where))
    given = selected.variable_arguments or {}
    cursor_argument = "before" if page.size_and_direction()[1] else "after"
    cursor_variable = given.get(cursor_argument)
    sql, shaper = connection_sql(build, declaration, selected, rows if rows is not None else ("1=0", ()), ordering, page,
                                 cursor_variable if cursor_variable in scopes.symbolic else None)
    return f"SELECT {sql}", shaper


async def _customer_rows(scopes: Scopes, build: Build, where: Any, customer_q: Any) -> tuple[str, tuple[Any, ...]] | None:
    """Readable customers matching ``where``. ``customer_q`` is async (it asks which rows' personal fields
    the viewer reads in full): it runs only when the filter's rendering is not kept yet."""
    if where is None or scopes.rendered["customer"] is None or lookup(scopes.filter_key(models.Customer, where)):
        return scopes.filtered(build, "customer", models.Customer, where, None)
    annotations = Annotations(scopes.dialect)
    q = await customer_q(where, scopes.plan, scopes.ids, annotations)
    return scopes.filtered(build, "customer", models.Customer, where, lambda _: q, annotations)


__all__ = ["PARAM", "Scopes", "compile_root"]


# --- objects by id, and the organisation -----------------------------------------------------------------------

NODE_SCOPES = {"Customer": "customer", "Ticket": "ticket", "Interaction": "interaction", "Agent": None, "Department": None}


def node_sql(build: Build, selected: Field, raw_id: Any) -> tuple[str, Any]:
    """One object by global id (any node type), as the viewer may read it: SQL giving its JSON or NULL."""
    from strawberry.relay import GlobalID

    try:
        gid = GlobalID.from_id(str(raw_id))
    except Exception:  # noqa: BLE001 - a malformed id names nothing
        return "NULL", None
    if gid.type_name not in NODE_SCOPES:
        return "NULL", None
    pk = parse_global_id(gid, gid.type_name)
    if pk is None:
        return "NULL", None
    declaration = TYPES[gid.type_name]
    scope_name = NODE_SCOPES[gid.type_name]
    if scope_name is not None and build.scopes.rendered[scope_name] is None:
        return "NULL", None
    runtime = build.scopes.graphql_schema.get_type(gid.type_name)
    children = collect(build.scopes.graphql_schema, runtime, selected.subsets or [], build.scopes.fragments,
                       build.scopes.variables)
    row, shaper = object_sql(build, declaration, children, declaration.table)
    table = quote(declaration.table)
    conditions = [] if scope_name is None else [build.scopes.scope(build, scope_name)]
    conditions.append(f"{table}.\"id\" = {build.param(pk)}")  # after the scope: parameters go in text order
    return build.dialect.nested(f"(SELECT {row} FROM {table} {table} WHERE {' AND '.join(conditions)})"), shaper


async def compile_public_root(build: Build, selected: Field) -> tuple[str | None, Any]:
    """``node``, ``nodes``, ``departments`` and ``agents``: every signed-in viewer may ask them."""
    from rapport.graphql.core.errors import ClientError
    from rapport.graphql.core.filters import column_text
    from rapport.graphql.core.ids import argument_id
    from rapport.graphql.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

    scopes: Scopes = build.scopes
    args = strawberry_arguments(selected, scopes.config, scopes.scalars)
    dialect = build.dialect
    if selected.name == "node":
        sql, shaper = node_sql(build, selected, args["id"])
        return f"SELECT {sql}", shaper
    if selected.name == "nodes":
        ids = list(args["ids"])
        from rapport.graphql.node import MAX_NODES

        if len(ids) > MAX_NODES:
            raise ClientError(f"ids: at most {MAX_NODES}")
        if not ids:
            return f"SELECT {dialect.array([])}", None
        parts = [node_sql(build, selected, raw) for raw in ids]
        shapers = [shaper for _, shaper in parts]

        def finish(values: list[Any], run: Any) -> list[Any]:
            return [shaper(v, run) if shaper is not None and v is not None else v for v, shaper in zip(values, shapers, strict=True)]

        return f"SELECT {dialect.array([sql for sql, _ in parts])}", finish
    if selected.name == "viewer":
        return viewer_sql(build, selected, _answers(build, selected))
    if selected.name == "departments":
        declaration = TYPES["Department"]
        row, shaper = object_sql(build, declaration, selected.children, declaration.table)
        table = quote(declaration.table)
        sql = dialect.rows(row, f"{table} {table}", f"{table}.\"id\" ASC")
        return f"SELECT {sql}", (lambda rows, run: [shaper(r, run) for r in rows]) if shaper else None
    if selected.name == "agents":
        size = DEFAULT_PAGE_SIZE if args.get("first") is None else args["first"]
        if not 0 <= size <= MAX_PAGE_SIZE:
            raise ClientError(f"first must be between 0 and {MAX_PAGE_SIZE} (got {size})")
        declaration = TYPES["Agent"]
        row, shaper = object_sql(build, declaration, selected.children, declaration.table)
        table = quote(declaration.table)
        conditions = [f"{table}.\"active\" = {build.param(True)}"]
        if args.get("department") is not None:
            code = column_text(args["department"], "department", models.Department, "code")
            conditions.append(f"{table}.\"department_id\" IN (SELECT d.\"id\" FROM \"departments\" d WHERE d.\"code\" = {build.param(code)})")
        if args.get("after") is not None:
            conditions.append(f"{table}.\"id\" > {build.param(argument_id(args['after'], 'Agent', 'after'))}")
        sql = dialect.rows(row, f"{table} {table} WHERE {' AND '.join(conditions)}", f"{table}.\"id\" ASC", size)
        return f"SELECT {sql}", (lambda rows, run: [shaper(r, run) for r in rows]) if shaper else None
    raise NotCompiled(f"root field {selected.name}")


def _answers(build: Build, selected: Field) -> dict[str, bool]:
    """``Viewer.can`` questions, answered by the request's plan (a bad name: the resolvers say what is wrong)."""
    from rapport.graphql.core.errors import ClientError
    from rapport.graphql.policies.inputs import action_problem, present, resource_problem

    answers = {}
    plan = build.plan
    for child in selected.children:
        if child.name != "can":
            continue
        resource, action = child.arguments["resource"], child.arguments["action"]
        if present(resource_problem(resource, plan.compiled.policy.group_names()), action_problem(action)):
            raise ClientError("a question the resolvers answer with an error")
        answers[child.key] = plan.allows(resource, action, child.arguments.get("department"))
    return answers


def viewer_sql(build: Build, selected: Field, answers: dict[str, bool]) -> tuple[str | None, Any]:
    """The caller: its roles (known in the process), its answers to ``can`` and its agent (read with the
    statement, when asked)."""
    actor = build.context.actor
    roles = list(actor.roles)
    agent_field = None
    for child in selected.children:
        if child.name == "agent":
            agent_field = child
        elif child.name not in ("roles", "__typename", "can"):
            raise NotCompiled(f"Viewer.{child.name}")

    def complete(agent: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child in selected.children:
            if child.name == "roles":
                out[child.key] = list(roles)
            elif child.name == "__typename":
                out[child.key] = "Viewer"
            elif child.name == "can":
                out[child.key] = answers[child.key]
            else:
                out[child.key] = agent
        return out

    if agent_field is None or actor.agent_id is None:
        return None, lambda _, run: complete(None)
    declaration = TYPES["Agent"]
    row, shaper = object_sql(build, declaration, agent_field.children, declaration.table)
    table = quote(declaration.table)
    sql = f"SELECT {row} FROM {table} {table} WHERE {table}.\"id\" = {build.param(int(actor.agent_id))}"
    return sql, lambda agent, run: complete(shaper(agent, run) if shaper is not None and agent is not None else agent)


def _id_source(scopes: Scopes, selected: Field, type_name: str) -> Any:
    """The recipe of a root field's id given by a symbolic variable (None: a constant of the statement)."""
    variable = (selected.variable_arguments or {}).get("id")
    if variable is None or variable not in scopes.symbolic:
        return None
    from rapport.compiler.statement_cache import RecipeFailed, Source

    def recipe(variables: dict[str, Any]) -> list[Any]:
        pk = parse_global_id(variables[variable], type_name)
        if pk is None:
            raise RecipeFailed(variable)
        return [pk]

    return Source(recipe, 0)
