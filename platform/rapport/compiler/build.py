"""Objects, relations and connections as SQL that builds their JSON, and the post-pass that finishes it.

Every table of a statement is named after itself, so each level's conditions (rendered by tortoise with
table-qualified columns) apply to that level, and a level refers to its parent by the parent's table name
(no relation joins a table to itself). A level returns one JSON value; a few hidden keys (``#m``: the
row's field modes, ``#s``: the SLA columns) carry what the post-pass needs and are removed by it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapport.authz.plan import PermissionPlan
from rapport.compiler import NotCompiled
from rapport.compiler.dialect import PARAM, Dialect, literal, quote
from rapport.compiler.keyset import after_sql, key_values, order_sql
from rapport.compiler.privacy import FieldModes, field_modes
from rapport.compiler.selection import Field
from rapport.graphql.core.pagination import Ordering, PageRequest, _decode, _encode
from rapport.mapping.declarations import TYPES
from rapport.mapping.kinds import (
    Classified, Records, Column, Computed, Count, CustomJson, Embedded, EnumColumn, NodeId, Personal, PersonalObject, ToMany, ToOne,
    TypeDeclaration,
)

Shaper = Callable[[Any, "Run"], Any]


@dataclass(frozen=True)
class Run:
    """What one request's post-pass needs: its context (redactions are counted on it), its "now" (the SLA
    fields) and the department codes. Compiled statements and their post-passes are shared by requests;
    a Run is not."""

    context: Any
    now: datetime
    codes: dict[int, str]


@dataclass
class Build:
    """What one statement is built from: the viewer's plan, the department codes, the dialect; it collects
    the statement's parameters in order."""

    plan: PermissionPlan
    codes: dict[int, str]
    dialect: Dialect
    context: Any  # the request's RapportContext (redactions are counted on it)
    now: datetime
    scopes: Any  # rapport.compiler.roots.Scopes: conditions of readable rows, filters
    params: list[Any] = field(default_factory=list)
    sources: list[Any] = field(default_factory=list)  # per parameter: None (a constant) or its Source
    cacheable: bool = True  # False: the statement depends on this request alone (the moment, a bad id)

    def param(self, value: Any, source: Any = None) -> str:
        self.params.append(value)
        self.sources.append(source)
        return PARAM

    def splice(self, sql: str, params: tuple[Any, ...] | list[Any], sources: list[Any] | None = None) -> str:
        self.params.extend(params)
        self.sources.extend(sources if sources is not None else [None] * len(params))
        return sql

    def kept_params(self) -> list[Any]:
        """The parameters as the statement cache keeps them: constants, and Sources for symbolic values."""
        return [value if source is None else source for value, source in zip(self.params, self.sources, strict=True)]


def column(table: str, name: str) -> str:
    return f"{quote(table)}.{quote(name)}"


# --- objects ----------------------------------------------------------------------------------------------


@dataclass
class ObjectShape:
    """The post-pass of one object level: ids to encode, personal values to mask and count, children."""

    ids: list[tuple[str, str]] = field(default_factory=list)  # (key, type name)
    personal: list[tuple[str, int | str, Any, str]] = field(default_factory=list)  # (key, mode index or code, masker, coordinate)
    custom: list[tuple[str, list[tuple[str, int | str, str]]]] = field(default_factory=list)
    children: list[tuple[str, Shaper]] = field(default_factory=list)
    computed: list[Callable[[dict[str, Any], Any], None]] = field(default_factory=list)
    has_modes: bool = False

    def empty(self) -> bool:
        return not (self.ids or self.personal or self.custom or self.children or self.computed)


def _redact(run: Run, coordinate: str, mode: str) -> None:
    run.context.redact(coordinate, "masked" if mode == "m" else "hidden")


def make_shaper(shape: ObjectShape, build: Build) -> Shaper | None:
    if shape.empty():
        return None
    from rapport.graphql.core.ids import to_global_id

    def finish(row: Any, run: Run) -> Any:
        if row is None:
            return None
        modes = row.pop("#m", "") if shape.has_modes else ""
        for key, type_name in shape.ids:
            value = row.get(key)
            if value is not None:
                row[key] = to_global_id(type_name, value)
        for key, index, masker, coordinate in shape.personal:
            mode = modes[index] if isinstance(index, int) else index
            if mode == "f":
                continue
            _redact(run, coordinate, mode)
            if masker is None:  # masked in SQL already (the address)
                continue
            value = row.get(key)
            row[key] = masker(value) if mode == "m" and value is not None else None
        for key, entries in shape.custom:
            values = row.get(key)
            if values is None:
                continue
            for name, index, coordinate in entries:
                mode = modes[index] if isinstance(index, int) else index
                if mode == "f":
                    continue
                _redact(run, coordinate, mode)
                value = values.get(name)
                if mode == "m" and isinstance(value, str):
                    from rapport.custom_fields.graphql import mask_text

                    values[name] = mask_text(value)
                else:
                    values.pop(name, None)
        for compute in shape.computed:
            compute(row, run)
        if shape.computed:
            row.pop("#s", None)
            row.pop("#state", None)
        for key, child in shape.children:
            value = row.get(key)
            if value is not None:
                row[key] = child(value, run)
        return row

    return finish


def object_sql(build: Build, declaration: TypeDeclaration, fields: list[Field], table: str) -> tuple[str, Shaper | None]:
    """The JSON object of one row of ``table`` with ``fields`` selected, and its post-pass."""
    pairs: list[tuple[str, str]] = []
    modes: list[str] = []
    shape = ObjectShape()
    dialect = build.dialect

    def mode_of(resource: str) -> FieldModes:
        if declaration.department_column is None:
            raise NotCompiled("personal field without a department")
        return field_modes(build.plan, resource, build.codes, table, declaration.department_column,
                           declaration.owner_column or "owner_id")

    def mode_slot(m: FieldModes) -> int | str:
        if m.constant is not None:
            return m.constant
        modes.append(m.sql)
        return len(modes) - 1

    for selected in fields:
        key = selected.key
        if selected.name == "__typename":
            pairs.append((key, literal(declaration.name)))
            continue
        kind = declaration.fields.get(selected.name)
        if kind is None:
            raise NotCompiled(f"{declaration.name}.{selected.name} is not compiled")
        if isinstance(kind, Column):
            ref = column(table, kind.column)
            if kind.kind == "datetime":
                ref = dialect.datetime(ref)
            elif kind.kind == "bool":
                ref = dialect.bool_column(ref)
            elif kind.kind == "json_list":
                ref = dialect.json_column(ref, "[]")
            elif kind.kind == "json_object":
                ref = dialect.json_column(ref, "{}")
            pairs.append((key, ref))
        elif isinstance(kind, EnumColumn):
            pairs.append((key, dialect.enum(column(table, kind.column), kind.enum)))
        elif isinstance(kind, NodeId):
            pairs.append((key, dialect.global_id(kind.type_name, column(table, kind.column))))
            if not dialect.sql_global_ids:
                shape.ids.append((key, kind.type_name))
        elif isinstance(kind, Personal):
            m = mode_of(kind.resource)
            ref = column(table, kind.column)
            pairs.append((key, ref if m.constant in ("f", "m") else "NULL" if m.constant == "h" else f"CASE WHEN {m.hidden()} THEN NULL ELSE {ref} END"))
            slot = mode_slot(m)
            if slot != "f":
                shape.personal.append((key, slot, kind.masker, f"{declaration.name}.{selected.name}"))
        elif isinstance(kind, PersonalObject):
            m = mode_of(kind.resource)
            sub: list[tuple[str, str]] = []
            for child in selected.children:
                if child.name == "__typename":
                    sub.append((child.key, literal("Address")))
                    continue
                if child.name not in kind.columns:
                    raise NotCompiled(f"Address.{child.name}")
                ref = column(table, kind.columns[child.name])
                if child.name not in kind.kept and m.constant != "f":
                    ref = "NULL" if m.constant in ("m", "h") else f"CASE WHEN {m.sql} = 'f' THEN {ref} END"
                sub.append((child.key, ref))
            every = " AND ".join(f"{column(table, c)} IS NULL" for c in kind.columns.values())
            hidden = m.hidden()
            value = f"CASE WHEN ({every}) OR {hidden} THEN NULL ELSE {dialect.object(sub)} END"
            pairs.append((key, dialect.nested(value) if dialect.name == "sqlite" else value))
            slot = mode_slot(m)
            if slot != "f":
                shape.personal.append((key, slot, None, f"{declaration.name}.{selected.name}"))
        elif isinstance(kind, CustomJson):
            pairs.append((key, dialect.json_column(column(table, kind.column), "{}")))
            entries = []
            for custom_field in build.scopes.personal_custom_fields(kind.entity):
                slot = mode_slot(mode_of(f"{kind.entity}.{custom_field.name}"))
                if slot != "f":
                    entries.append((custom_field.name, slot, f"{declaration.name}.custom.{custom_field.name}"))
            if entries:
                shape.custom.append((key, entries))
        elif isinstance(kind, ToOne):
            target = TYPES[kind.target]
            sub_sql, sub_shaper = object_sql(build, target, selected.children, target.table)
            condition = f"{column(target.table, 'id')} = {column(table, kind.column)}"
            if kind.scope is not None:
                scope = build.scopes.scope(build, kind.scope)
                if scope is None:
                    pairs.append((key, "NULL"))
                    continue
                condition += f" AND {scope}"
            pairs.append((key, dialect.nested(f"(SELECT {sub_sql} FROM {quote(target.table)} {quote(target.table)} WHERE {condition})")))
            if sub_shaper is not None:
                shape.children.append((key, sub_shaper))
        elif isinstance(kind, Count):
            target = TYPES[kind.target]
            scope = build.scopes.counted(build, kind.target)
            if scope is None:
                pairs.append((key, "0"))
                continue
            values = ", ".join(literal(v) for v in kind.values)
            source = (f"{quote(target.table)} {quote(target.table)} WHERE {column(target.table, kind.parent_column)} = {column(table, 'id')} "
                      f"AND {column(target.table, kind.column)} IN ({values}) AND {scope}")
            pairs.append((key, dialect.count(source)))
        elif isinstance(kind, ToMany):
            target = TYPES[kind.target]
            unknown = set(selected.arguments) - kind.arguments
            if unknown:
                raise NotCompiled("arguments the nested list does not take")
            correlation = f"{column(target.table, kind.parent_column)} = {column(table, 'id')}"
            sql, shaper = build.scopes.nested_connection(build, target, selected, correlation)
            pairs.append((key, dialect.nested(sql)))
            shape.children.append((key, shaper))
        elif isinstance(kind, Embedded):
            embedded = TYPES[kind.type_name]
            sub_sql, sub_shaper = object_sql(build, embedded, selected.children, table)
            pairs.append((key, dialect.nested(sub_sql) if dialect.name == "sqlite" else sub_sql))
            if sub_shaper is not None:
                shape.children.append((key, sub_shaper))
        elif isinstance(kind, Records):
            sql, shaper = records_sql(build, TYPES[kind.target], selected, kind, table)
            pairs.append((key, dialect.nested(sql)))
            if shaper is not None:
                shape.children.append((key, shaper))
        elif isinstance(kind, Classified):
            from rapport.compiler.classification import classification_shaper

            raw = [("#c", dialect.json_column(column(table, kind.column), "{}")),
                   ("segment", dialect.enum(column(table, "segment"), declaration.fields["segment"].enum)),
                   ("tier", dialect.enum(column(table, "tier"), declaration.fields["tier"].enum)),
                   ("tags", dialect.json_column(column(table, "tags"), "[]"))]
            pairs.append((key, dialect.object(raw)))
            shape.children.append((key, classification_shaper(selected)))
        elif isinstance(kind, Computed):
            from rapport.compiler.computed import computed_field

            pairs.append((key, "NULL"))
            shape.computed.append(computed_field(kind.name, key))
            if not any(k == "#s" for k, _ in pairs):
                raw = [column(table, c) for c in declaration.extras["computed_columns"]]
                pairs.append(("#s", dialect.array([dialect.datetime(r) if r.endswith('_at"') else r for r in raw])))
        else:  # pragma: no cover - every kind is handled above
            raise NotCompiled(f"{declaration.name}.{selected.name}")
    if modes:
        pairs.append(("#m", dialect.concat(modes) if len(modes) > 1 else modes[0]))
        shape.has_modes = True
    if not pairs:
        raise NotCompiled("empty selection")
    return dialect.object(pairs), make_shaper(shape, build)


# --- connections ------------------------------------------------------------------------------------------


def connection_sql(
    build: Build, declaration: TypeDeclaration, selected: Field, condition: tuple[str, tuple[Any, ...]],
    ordering: Ordering, page: PageRequest, cursor_variable: str | None = None,
) -> tuple[str, Shaper]:
    """A connection over the rows of ``declaration``'s table matching ``condition`` (SQL text with PARAM
    markers, and its parameters), paged by ``ordering`` and ``page``, shaped as ``selected`` asks."""
    condition_sql, condition_params = condition
    size, backward = page.size_and_direction()
    keys = ordering.with_id()
    table = declaration.table
    dialect = build.dialect
    nodes = edges = edge_node = None
    page_info: Field | None = None
    wants_cursors = wants_total = False
    for child in selected.children:
        if child.name == "nodes":
            nodes = child
        elif child.name == "edges":
            edges = child
            for edge_child in child.children:
                if edge_child.name == "cursor":
                    wants_cursors = True
                elif edge_child.name == "node":
                    edge_node = edge_child
        elif child.name == "pageInfo":
            page_info = child
            wants_cursors = wants_cursors or any(c.name in ("startCursor", "endCursor") for c in child.children)
        elif child.name == "totalCount":
            wants_total = True
        elif child.name != "__typename":
            raise NotCompiled(f"connection field {child.name}")
    cursor = page.before if backward else page.after
    cursor_sql, cursor_params = ("1=1", [])
    cursor_sources: list[Any] | None = None
    if cursor is not None:
        values = _decode(cursor, ordering, keys)
        cursor_sql, cursor_params = after_sql(keys, values, backward, table, dialect, declaration.model)
        if cursor_variable is not None and not any(key.nullable for key, _ in keys):
            from rapport.compiler.statement_cache import Source

            def recipe(variables: dict[str, Any]) -> list[Any]:
                decoded = _decode(variables[cursor_variable], ordering, keys)
                return after_sql(keys, decoded, backward, table, dialect, declaration.model)[1]

            cursor_sources = [Source(recipe, i) for i in range(len(cursor_params))]
        elif cursor_variable is not None:
            build.cacheable = False  # a NULL sort key changes the predicate's text
    pairs: list[tuple[str, str]] = []
    node_shaper: Shaper | None = None
    edge_shaper: Shaper | None = None
    wrapped = nodes is not None and edge_node is not None
    if size and (nodes is not None or edges is not None or wants_cursors or page_info is not None):
        if wrapped:
            nodes_sql, node_shaper = object_sql(build, declaration, nodes.children, table)
            edge_sql, edge_shaper = object_sql(build, declaration, edge_node.children, table)
            row = dialect.object([("n", nodes_sql), ("e", edge_sql)])
        elif nodes is not None:
            row, node_shaper = object_sql(build, declaration, nodes.children, table)
        elif edge_node is not None:
            row, edge_shaper = object_sql(build, declaration, edge_node.children, table)
        else:
            row = "1"
        source = (f"{quote(table)} {quote(table)} WHERE {build.splice(condition_sql, condition_params)} "
                  f"AND {build.splice(cursor_sql, cursor_params, cursor_sources)}")
        order = order_sql(keys, table, backward)
        keys_sql = key_values(keys, table, dialect) if wants_cursors else None
        pairs.append(("p", dialect.nested(dialect.page(row, keys_sql, source, order, size, backward))))
    if wants_total:
        pairs.append(("t", dialect.count(f"{quote(table)} {quote(table)} WHERE {build.splice(condition_sql, condition_params)}")))
    if not pairs:
        pairs.append(("p", "NULL"))
    sql = dialect.object(pairs)
    signature = ordering.signature

    def finish(raw: dict[str, Any], run: Run) -> dict[str, Any]:
        got = raw.get("p") or {"n": [], "m": False, "k": []}
        rows = got["n"]
        more = bool(got["m"])
        cursors = [_encode(signature, k) for k in got.get("k", [])] if wants_cursors else []
        out: dict[str, Any] = {}
        for child in selected.children:
            name = child.name
            if name == "__typename":
                out[child.key] = selected.type.name
            elif name == "nodes":
                source_rows = [r["n"] for r in rows] if wrapped else rows
                out[child.key] = [node_shaper(r, run) for r in source_rows] if node_shaper else source_rows
            elif name == "edges":
                source_rows = [r["e"] for r in rows] if wrapped else rows
                listed = []
                for i, r in enumerate(source_rows):
                    edge: dict[str, Any] = {}
                    for edge_child in child.children:
                        if edge_child.name == "cursor":
                            edge[edge_child.key] = cursors[i]
                        elif edge_child.name == "node":
                            edge[edge_child.key] = edge_shaper(r, run) if edge_shaper else r
                        elif edge_child.name == "__typename":
                            edge[edge_child.key] = child.type.name
                    listed.append(edge)
                out[child.key] = listed
            elif name == "pageInfo":
                info: dict[str, Any] = {}
                for info_child in child.children:
                    n = info_child.name
                    if n == "hasNextPage":
                        info[info_child.key] = more if not backward else page.before is not None
                    elif n == "hasPreviousPage":
                        info[info_child.key] = more if backward else page.after is not None
                    elif n == "startCursor":
                        info[info_child.key] = cursors[0] if cursors else None
                    elif n == "endCursor":
                        info[info_child.key] = cursors[-1] if cursors else None
                    elif n == "__typename":
                        info[info_child.key] = "PageInfo"
                out[child.key] = info
            elif name == "totalCount":
                out[child.key] = raw["t"]
        return out

    return sql, finish

def records_sql(build: Build, declaration: TypeDeclaration, selected: Field, kind: Records, parent: str) -> tuple[str, Shaper | None]:
    """A plain list (``Ticket.activities``): oldest first, ``first`` rows after the row ``after`` names."""
    from rapport.graphql.core.ids import argument_id
    from rapport.graphql.core.pagination import MAX_PAGE_SIZE

    first = selected.arguments.get("first")
    size, _ = PageRequest(first=MAX_PAGE_SIZE if first is None else first).size_and_direction()
    after = selected.arguments.get("after")
    row, shaper = object_sql(build, declaration, selected.children, declaration.table)
    table = quote(declaration.table)
    order = column(declaration.table, kind.order_column)
    conditions = [f"{column(declaration.table, kind.parent_column)} = {column(parent, 'id')}"]
    if after is not None:
        # After the anchor row in (order, id); no anchor row: NULL, so no row (as the resolvers answer).
        pk = build.param(argument_id(after, declaration.name, f"{selected.name}.after"))
        anchor = f"(SELECT a.{quote(kind.order_column)}, a.\"id\" FROM {table} a WHERE a.\"id\" = {pk})"
        conditions.append(f"({order}, {column(declaration.table, 'id')}) > {anchor}")
    sql = build.dialect.rows(row, f"{table} {table} WHERE {' AND '.join(conditions)}",
                             f"{order} ASC, {column(declaration.table, 'id')} ASC", size)
    return sql, (lambda rows, run: [shaper(r, run) for r in rows]) if shaper is not None else None
