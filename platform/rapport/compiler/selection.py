"""An operation's selection as a tree of fields: fragments inlined, ``@skip``/``@include`` applied, fields
with the same response key merged, arguments coerced (graphql-core's own coercion, variables included)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)
from graphql.execution.values import get_argument_values, get_directive_values
from graphql.type import GraphQLIncludeDirective, GraphQLSkipDirective

from rapport.compiler import NotCompiled


@dataclass
class Field:
    key: str  # the response key (alias or name)
    name: str
    definition: GraphQLField
    type: Any  # the named (unwrapped) output type
    is_list: bool
    arguments: dict[str, Any]
    children: list[Field]
    subsets: list[SelectionSetNode] | None = None  # kept for an abstract type: collected per concrete type
    variable_arguments: dict[str, str] | None = None  # argument name -> the variable that gives it


def named_type(type_: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


def _included(node: Any, variables: dict[str, Any]) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return not (include and include.get("if") is False)


def _applies(schema: GraphQLSchema, condition: Any, runtime: GraphQLObjectType) -> bool:
    if condition is None:
        return True
    target = schema.get_type(condition.name.value)
    if target is None:
        return False
    if target is runtime:
        return True
    return schema.is_sub_type(target, runtime) if hasattr(target, "fields") and not isinstance(target, GraphQLObjectType) else False


def _nodes(
    schema: GraphQLSchema, runtime: GraphQLObjectType, selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any], out: dict[str, list[FieldNode]],
) -> None:
    for selection in selection_set.selections:
        if not _included(selection, variables):
            continue
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            out.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            if _applies(schema, selection.type_condition, runtime):
                _nodes(schema, runtime, selection.selection_set, fragments, variables, out)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                raise NotCompiled("unknown fragment")
            if _applies(schema, fragment.type_condition, runtime):
                _nodes(schema, runtime, fragment.selection_set, fragments, variables, out)


def collect(
    schema: GraphQLSchema, runtime: GraphQLObjectType, selection_sets: list[SelectionSetNode],
    fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any],
) -> list[Field]:
    """The fields selected on an object of type ``runtime``, in response order."""
    grouped: dict[str, list[FieldNode]] = {}
    for selection_set in selection_sets:
        _nodes(schema, runtime, selection_set, fragments, variables, grouped)
    fields = []
    for key, nodes in grouped.items():
        name = nodes[0].name.value
        if name == "__typename":
            fields.append(Field(key, name, None, None, False, {}, []))  # type: ignore[arg-type]
            continue
        definition = runtime.fields.get(name)
        if definition is None:
            raise NotCompiled(f"unknown field {runtime.name}.{name}")
        type_, is_list = named_type(definition.type)
        arguments = get_argument_values(definition, nodes[0], variables)
        children: list[Field] = []
        subsets = [n.selection_set for n in nodes if n.selection_set is not None]
        if subsets and isinstance(type_, GraphQLObjectType):
            children = collect(schema, type_, subsets, fragments, variables)
        given = {a.name.value: a.value.name.value for a in nodes[0].arguments or () if isinstance(a.value, VariableNode)}
        fields.append(Field(key, name, definition, type_, is_list, arguments, children, subsets, given))
    return fields
