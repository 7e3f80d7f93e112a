"""The one authorization gate: every root field declares the (resource, action) it needs.

``secured(resource, action)`` is the field extension that declares and enforces it; the schema
extension ``RequireDeclaredRootFields`` refuses any operation that selects a root field without one
(and a test walks the schema for the same). Row scopes and field masking happen below, from the
request's permission plan; this gate decides whether the field may run at all.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import strawberry
from graphql import FragmentDefinitionNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import FieldExtension, SchemaExtension

PUBLIC = "public"  # resource of root fields every authenticated caller may use (viewer, departments)
EXTENSION_KEY = "rapport_permission"


class Forbidden(GraphQLError):
    def __init__(self, resource: str, action: str):
        super().__init__(f"forbidden: {action} on {resource}", extensions={"code": "FORBIDDEN"})


class secured(FieldExtension):  # noqa: N801 - reads as a declaration: extensions=[secured("customer", "read")]
    """Declares and enforces the permission a root field needs.

    Mutations return their payload with a FORBIDDEN error (``forbidden_payload``); queries raise a
    FORBIDDEN GraphQL error for that field.
    """

    def __init__(self, resource: str, action: str, forbidden_payload: Callable[[], Any] | None = None):
        super().__init__()
        self.resource = resource
        self.action = action
        self.forbidden_payload = forbidden_payload

    def apply(self, field: Any) -> None:
        field.metadata = {**(field.metadata or {}), EXTENSION_KEY: (self.resource, self.action)}

    async def _allowed(self, info: strawberry.Info) -> bool:
        if self.resource == PUBLIC:
            return info.context.actor is not None
        plan = await info.context.plan()
        return plan.allows(self.resource, self.action)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        if not await self._allowed(info):
            if self.forbidden_payload is not None:
                return self.forbidden_payload()
            raise Forbidden(self.resource, self.action)
        result = next_(source, info, **kwargs)
        # A subscription's resolver returns an async generator (checked here once, before its first event).
        return await result if inspect.isawaitable(result) else result

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        raise RuntimeError("secured root fields must be async")


def declared_permission(field: Any) -> tuple[str, str] | None:
    return (getattr(field, "metadata", None) or {}).get(EXTENSION_KEY)


class RequireDeclaredRootFields(SchemaExtension):
    """Refuse, before execution, any operation selecting a root field that declares no permission."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        operation = _selected_operation(context.graphql_document, context.operation_name)
        if operation is not None:
            root = context.schema.get_type_by_name(operation.operation.value.capitalize())
            converter = context.schema.config.name_converter
            fields = {converter.get_graphql_name(f): f for f in getattr(root, "fields", [])} if root else {}
            for selection in _root_field_names(operation, _fragments(context.graphql_document)):
                if selection.startswith("__"):
                    continue
                field = fields.get(selection)
                if field is None or declared_permission(field) is None:
                    raise GraphQLError(f"forbidden: root field {selection} declares no permission")
        yield


def _selected_operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def _fragments(document: Any) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _root_field_names(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> Iterator[str]:
    """Every field selected at the root, through inline fragments and named fragment spreads."""
    stack = list(operation.selection_set.selections)
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        if node.kind == "field":
            yield node.name.value
        elif node.kind == "inline_fragment":
            stack.extend(node.selection_set.selections)
        elif node.kind == "fragment_spread" and node.name.value not in seen and node.name.value in fragments:
            seen.add(node.name.value)  # validation already refused cycles; this only bounds the walk
            stack.extend(fragments[node.name.value].selection_set.selections)
