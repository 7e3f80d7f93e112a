"""``InteractionFilter`` and ``InteractionOrder``, and their translation to SQL."""

from __future__ import annotations

from enum import Enum

import strawberry
from tortoise.expressions import Q

from rapport.graphql.core.filters import DateTimeFilter, IDFilter, IntFilter, SortDirection, combine, id_q, ordered_q, search_text
from rapport.graphql.core.pagination import SortKey
from rapport.graphql.interactions.types import InteractionChannel, InteractionDirection


@strawberry.input(description="Which interactions to list. All given conditions must hold; use and/or/not to combine.")
class InteractionFilter:
    and_: list[InteractionFilter] | None = strawberry.field(default=None, name="and")
    or_: list[InteractionFilter] | None = strawberry.field(default=None, name="or")
    not_: InteractionFilter | None = strawberry.field(default=None, name="not")
    customer: IDFilter | None = None
    agent: IDFilter | None = None
    ticket: IDFilter | None = None
    channel: list[InteractionChannel] | None = None
    direction: InteractionDirection | None = None
    occurred_at: DateTimeFilter | None = None
    duration_seconds: IntFilter | None = strawberry.field(default=None, description="Length of calls and meetings, in seconds.")
    search: str | None = strawberry.field(default=None, description="Subject or body contains this text (ignoring case).")


@strawberry.enum
class InteractionSortField(Enum):
    OCCURRED_AT = "OCCURRED_AT"
    CREATED_AT = "CREATED_AT"


@strawberry.input(description="One sort key; ties are always broken by id. Newest first unless told otherwise.")
class InteractionOrder:
    field: InteractionSortField
    direction: SortDirection = SortDirection.DESC


SORT_KEYS = {
    "OCCURRED_AT": SortKey("occurred_at", "datetime"),
    "CREATED_AT": SortKey("created_at", "datetime"),
}
DEFAULT_ORDER = ("OCCURRED_AT", True)


def interaction_q(where: InteractionFilter | None) -> Q:
    if where is None:
        return Q()

    def own(f: InteractionFilter) -> Q:
        q = Q()
        if f.customer:
            q &= id_q("customer_id", f.customer, "Customer", "where.customer")
        if f.agent:
            q &= id_q("agent_id", f.agent, "Agent", "where.agent")
        if f.ticket:
            q &= id_q("ticket_id", f.ticket, "Ticket", "where.ticket")
        if f.channel is not None:
            q &= Q(channel__in=[c.value for c in f.channel])
        if f.direction is not None:
            q &= Q(direction=f.direction.value)
        if f.occurred_at:
            q &= ordered_q("occurred_at", f.occurred_at, "where.occurredAt")
        if f.duration_seconds:
            q &= ordered_q("duration_seconds", f.duration_seconds, "where.durationSeconds")
        if f.search:
            text = search_text(f.search, "where.search")
            q &= Q(subject__icontains=text) | Q(body__icontains=text)
        return q

    return combine(where, own)
