"""Schema assembly: root types from each domain, plus the safety extensions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from graphql.validation import NoSchemaIntrospectionCustomRule

from rapport.compiler.executor import CompiledExecutor
from rapport.graphql.compiled_reads import CompiledReads
from rapport.graphql.cost import QueryCost
from rapport.graphql.customers.mutations import CustomerMutation
from rapport.graphql.customers.queries import CustomerQuery
from rapport.graphql.deliveries.mutations import DeliveryMutation
from rapport.graphql.deliveries.queries import DeliveryQuery
from rapport.graphql.document_limits import DocumentLimits, ValidationErrorBudget, refusals_as_results
from rapport.graphql.gate import RequireDeclaredRootFields
from rapport.graphql.interactions.mutations import InteractionMutation
from rapport.graphql.interactions.queries import InteractionQuery
from rapport.graphql.interactions.subscriptions import InteractionSubscription
from rapport.graphql.masking import MaskUnexpectedErrors
from rapport.graphql.node import NodeQuery
from rapport.graphql.org.queries import OrgQuery
from rapport.graphql.policies.mutations import PolicyMutation
from rapport.graphql.policies.queries import PolicyQuery
from rapport.graphql.redactions import ReportRedactions
from rapport.graphql.reports.queries import ReportQuery
from rapport.graphql.suggestions import HideSuggestions, quieten
from rapport.graphql.validation_cache import DocumentValidationCache
from rapport.graphql.tickets.mutations import TicketMutation
from rapport.graphql.tickets.queries import TicketQuery
from rapport.graphql.tickets.subscriptions import TicketSubscription
from rapport.graphql.viewer.queries import ViewerQuery
from rapport.settings import Settings

if TYPE_CHECKING:
    from rapport.plugin_host import PluginHost

MAX_DEPTH = 10
MAX_ALIASES = 30

# The limits' validation rules, made once. QueryDepthLimiter and MaxAliasesLimiter make a new rule class
# per instance, and the validation cache is keyed by the rules: built per request, they made every
# request miss it and validate the whole document again.
LIMIT_RULES = (
    ValidationErrorBudget,
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)
PRODUCTION_RULES = (*LIMIT_RULES, NoSchemaIntrospectionCustomRule, HideSuggestions)


@strawberry.type
class Query(NodeQuery, ViewerQuery, OrgQuery, CustomerQuery, InteractionQuery, TicketQuery, PolicyQuery, ReportQuery,
            DeliveryQuery):
    """The root query type."""


@strawberry.type
class Mutation(CustomerMutation, InteractionMutation, TicketMutation, PolicyMutation, DeliveryMutation):
    """The root mutation type."""


@strawberry.type
class Subscription(TicketSubscription, InteractionSubscription):
    """The root subscription type (graphql-transport-ws on the GraphQL endpoint)."""


class RapportSchema(strawberry.Schema):
    """Expected errors (validation, FORBIDDEN, bad arguments) are answers, not incidents: only unexpected
    ones are logged, with their traceback and request id, by MaskUnexpectedErrors.

    ``extra_fields`` (GraphQL type name -> fields) adds fields generated for this app's plugins, such as
    ``Customer.customFields``, through strawberry's ``get_fields`` (the shared type classes stay as they are).
    ``quiet_names`` (production): error messages suggest nothing and name only what the client wrote."""

    def __init__(self, *args: Any, extra_fields: dict[str, list[Any]] | None = None, quiet_names: bool = False,
                 **kwargs: Any) -> None:
        self.extra_fields = extra_fields or {}
        self.quiet_names = quiet_names
        super().__init__(*args, **kwargs)

    def get_fields(self, type_definition: Any) -> list[Any]:
        fields = super().get_fields(type_definition)
        extra = self.extra_fields.get(type_definition.name)
        return [*fields, *extra] if extra else fields

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Every error passes here before the response is built; in production none may teach the schema.
        if self.quiet_names:
            quieten(errors)

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        return refusals_as_results(await super().stream(*args, **kwargs))


def build_schema(settings: Settings | None = None, plugins: PluginHost | None = None) -> strawberry.Schema:
    """The schema of an app with ``plugins`` (default: the core alone, i.e. the built-in plugins);
    production disables introspection and every suggestion ("Did you mean ...?")."""
    from rapport.graphql.extending import plugin_parts

    production = bool(settings and settings.is_production)
    parts = plugin_parts(plugins, Query, Mutation, Subscription)
    # Factories, not instances: strawberry builds fresh extensions per request (an instance would be
    # shared by concurrent requests). The parser and validation caches live at module level anyway.
    rules = PRODUCTION_RULES if production else LIMIT_RULES
    # DocumentLimits first: its size check and charge come before any other work, and its parse (cached,
    # token-limited, selections counted) is the only one.
    extensions: list = [
        DocumentLimits,
        lambda: AddValidationRules(list(rules)),
        DocumentValidationCache,
        MaskUnexpectedErrors,
        RequireDeclaredRootFields,
        QueryCost,
        ReportRedactions,
        CompiledReads,  # last: what it serves skips graphql-core's execution, after every check above
    ]
    return RapportSchema(
        query=parts.query,
        mutation=parts.mutation,
        subscription=parts.subscription,
        types=parts.types,
        extra_fields=parts.extra_fields,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=production),
        quiet_names=production,
        execution_context_class=CompiledExecutor,  # answers what the compiled read path already answered
    )
