"""Interaction mutations: expected failures come back as typed errors in the payload."""

from __future__ import annotations

import strawberry

from rapport.graphql.core.errors import FieldError, field_errors, forbidden
from rapport.graphql.gate import secured
from rapport.graphql.interactions.inputs import LogInteractionInput, given
from rapport.graphql.interactions.types import Interaction
from rapport.services import interactions as service
from rapport.services.errors import DomainError


@strawberry.type
class InteractionPayload:
    interaction: Interaction | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class InteractionMutation:
    @strawberry.mutation(
        description="Record an interaction with a customer; it moves the customer's lastInteractionAt and an agent's "
        "outbound reply on a ticket stamps the ticket's first response. With idempotencyKey, at most once.",
        extensions=[secured("interaction", "create", forbidden(InteractionPayload))],
    )
    async def log_interaction(self, info: strawberry.Info, input: LogInteractionInput) -> InteractionPayload:
        try:
            row = await service.log_interaction(
                await info.context.plan(), given(input), info.context.settings, info.context.request_id
            )
        except DomainError as error:
            return InteractionPayload(errors=field_errors(error))
        return InteractionPayload(interaction=Interaction.from_model(row))
