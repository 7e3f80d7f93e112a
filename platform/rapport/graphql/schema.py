"""Schema assembly: root types from each domain, plus the safety extensions."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from graphql.validation import NoSchemaIntrospectionCustomRule

from rapport.graphql.customers.mutations import CustomerMutation
from rapport.graphql.customers.queries import CustomerQuery
from rapport.graphql.gate import RequireDeclaredRootFields
from rapport.graphql.interactions.mutations import InteractionMutation
from rapport.graphql.interactions.queries import InteractionQuery
from rapport.graphql.masking import MaskUnexpectedErrors
from rapport.graphql.node import NodeQuery
from rapport.graphql.org.queries import OrgQuery
from rapport.graphql.policies.mutations import PolicyMutation
from rapport.graphql.policies.queries import PolicyQuery
from rapport.graphql.redactions import ReportRedactions
from rapport.graphql.tickets.mutations import TicketMutation
from rapport.graphql.tickets.queries import TicketQuery
from rapport.graphql.viewer.queries import ViewerQuery
from rapport.settings import Settings

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5000


@strawberry.type
class Query(NodeQuery, ViewerQuery, OrgQuery, CustomerQuery, InteractionQuery, TicketQuery, PolicyQuery):
    """The root query type."""


@strawberry.type
class Mutation(CustomerMutation, InteractionMutation, TicketMutation, PolicyMutation):
    """The root mutation type."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema; production disables introspection and field suggestions."""
    production = bool(settings and settings.is_production)
    # Factories, not instances: strawberry builds fresh extensions per request (an instance would be
    # shared by concurrent requests). The parser and validation caches live at module level anyway.
    extensions: list = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        MaskUnexpectedErrors,
        RequireDeclaredRootFields,
        ReportRedactions,
    ]
    if production:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
    )
