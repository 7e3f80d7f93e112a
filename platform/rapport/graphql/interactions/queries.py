"""Root fields that read interactions. Every query applies the viewer's scope in SQL."""

from __future__ import annotations

import strawberry
from tortoise.queryset import QuerySet

from rapport import models
from rapport.graphql.core.pagination import Connection, PageRequest, ordering_from, paginate
from rapport.graphql.gate import secured
from rapport.graphql.interactions.filters import DEFAULT_ORDER, SORT_KEYS, InteractionFilter, InteractionOrder, interaction_q
from rapport.graphql.interactions.types import Interaction
from rapport.services.interactions import interaction_scope


async def readable_interactions(info: strawberry.Info) -> QuerySet:
    """Interactions the viewer may read, whose customer is live and readable (an empty query when none)."""
    scope = await interaction_scope(await info.context.plan(), "read")
    return models.Interaction.filter(scope) if scope is not None else models.Interaction.filter(id__in=[])


@strawberry.type
class InteractionQuery:
    @strawberry.field(
        description="Interactions you may read, newest first unless orderBy says otherwise. Page with first/after "
        "or last/before (default 20, at most 100). Cursors are stable for the orderBy that produced them.",
        extensions=[secured("interaction", "read")],
    )
    async def interactions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None, where: InteractionFilter | None = None, order_by: list[InteractionOrder] | None = None,
    ) -> Connection[Interaction]:
        qs = (await readable_interactions(info)).filter(interaction_q(where))
        ordering = ordering_from(order_by, SORT_KEYS, DEFAULT_ORDER)
        return await paginate(qs, ordering, PageRequest(first, after, last, before), Interaction.from_model)
