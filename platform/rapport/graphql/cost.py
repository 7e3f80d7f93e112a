"""Query cost: how many objects an operation may touch, charged to the caller's rate-limit budget.

The estimate walks the selected operation with the schema: every field costs 1, and a list or
connection field multiplies what it selects by its page size (``first``/``last``, 20 when absent, at
most 100 - larger pages are rejected by the resolvers anyway), so

    { tickets(first: 50) { nodes { number customer { name } } } }                   = 1 + 50 * (1 + 1 + 2) = 201
    { customers(first: 100) { nodes { tickets(first: 100) { nodes { number } } } } }  ~ one million

The point: one huge query costs what the thousand small queries it replaces cost, so it cannot do
what they could not. ``QueryCost`` charges the estimate to the actor's and the client IP's buckets
before execution; without the points the response is HTTP 429 with ``Retry-After``, and a query
costing more than a whole budget is refused (QUERY_TOO_COSTLY) without taking anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from rapport.compiler.selection import named_type
from rapport.web.client_address import scope_address_key
from rapport.web.rate_limit import Charge

DEFAULT_PAGE = 20
MAX_PAGE = 100


class RateLimited(GraphQLError):
    def __init__(self, retry_after: str, cost: int):
        super().__init__(
            f"rate limit exceeded: this query costs {cost} points; retry after {retry_after} s",
            extensions={"code": "RATE_LIMITED", "retryAfter": int(retry_after), "cost": cost},
        )


class TooCostly(GraphQLError):
    def __init__(self, cost: int, budget: int):
        super().__init__(
            f"query too costly: it may touch {cost} objects, more than the whole budget of {budget} per window; "
            "ask for smaller pages or fewer nested lists",
            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "budget": budget},
        )


def _page(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        value = argument.value
        size: Any = None
        if isinstance(value, IntValueNode):
            size = int(value.value)
        elif isinstance(value, VariableNode):
            size = variables.get(value.name.value)
        if isinstance(size, int):
            return max(1, min(size, MAX_PAGE))
    return DEFAULT_PAGE


class _Estimator:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str] = frozenset()) -> int:
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field_cost(node, parent, seen)
            elif isinstance(node, InlineFragmentNode):
                condition = self.schema.get_type(node.type_condition.name.value) if node.type_condition else parent
                total += self.selection_cost(node.selection_set, condition or parent, seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    condition = self.schema.get_type(fragment.type_condition.name.value) or parent
                    total += self.selection_cost(fragment.selection_set, condition, seen | {name})
        return total

    def field_cost(self, node: FieldNode, parent: Any, seen: frozenset[str]) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 1
        definition = getattr(parent, "fields", {}).get(name) if parent is not None else None
        if definition is None:
            return 1 + self.selection_cost(node.selection_set, None, seen)
        named, is_list = named_type(definition.type)
        children = self.selection_cost(node.selection_set, named, seen)
        in_connection = isinstance(parent, GraphQLObjectType) and parent.name.endswith("Connection")
        is_connection = isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")
        # A connection multiplies once, at the connection field; its nodes/edges lists do not again.
        multiplier = _page(node, self.variables) if (is_connection or (is_list and not in_connection)) else 1
        return 1 + multiplier * children


def operation_cost(schema: GraphQLSchema, document: Any, operation_name: str | None, variables: dict[str, Any] | None) -> int:
    """The estimated cost of the operation of ``document`` that will run (0 when none can be chosen)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return 0
    operation = operations[0]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(operation.operation)
    return _Estimator(schema, fragments, variables or {}).selection_cost(operation.selection_set, root)


def client_ip(context: Any) -> str:
    """The client address bucket key (``ip:...``) of the request or WebSocket."""
    return scope_address_key(context.request.scope)


class QueryCost(SchemaExtension):
    """Charge the operation's estimated cost to the actor's and the client IP's budgets before it runs."""

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        execution = self.execution_context
        context = execution.context
        settings = getattr(context, "settings", None)
        limiter = limiter_of(context)
        if settings is None or limiter is None or not settings.rate_limit_enabled or execution.graphql_document is None:
            yield
            return
        cost = max(1, operation_cost(execution.schema._schema, execution.graphql_document, execution.operation_name,
                                     execution.variables))
        budget = min(settings.rate_limit_actor, settings.rate_limit_ip)
        if cost > budget:
            raise TooCostly(cost, budget)
        actor = context.actor.subject if context.actor is not None else "anonymous"
        decision = await limiter.take([
            Charge(f"actor:{actor}", cost, settings.rate_limit_actor, settings.rate_limit_window),
            Charge(client_ip(context), cost, settings.rate_limit_ip, settings.rate_limit_window),
        ])
        if not decision.allowed:
            if context.response is not None:
                context.response.status_code = 429
                context.response.headers["Retry-After"] = decision.retry_after_header
            raise RateLimited(decision.retry_after_header, cost)
        yield


def limiter_of(context: Any) -> Any:
    """The app's rate limiter (None outside an app)."""
    request = getattr(context, "request", None)
    app = request.scope.get("app") if request is not None else None
    return getattr(getattr(app, "state", None), "rate_limiter", None)
