"""``TicketFilter`` and ``TicketOrder``, and their translation to SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from enum import Enum

import strawberry
from strawberry.scalars import JSON
from tortoise.expressions import F, Q

from rapport import models
from rapport.graphql.core.annotations import Annotations
from rapport.graphql.core.filters import DateTimeFilter, IDFilter, SortDirection, StringFilter, combine, id_q, ordered_q, search_text, string_q
from rapport.graphql.core.json_array import array_contains
from rapport.custom_fields.sql import custom_q, ordering_with_custom
from rapport.plugins import active
from rapport.graphql.core.pagination import SortKey
from rapport.graphql.tickets.types import TicketPriority, TicketStatus
from rapport.models import TicketPriority as Priority
from rapport.services.ticket_workflow import DONE


@strawberry.input(description="Which tickets to list. All given conditions must hold; use and/or/not to combine.")
class TicketFilter:
    and_: list[TicketFilter] | None = strawberry.field(default=None, name="and")
    or_: list[TicketFilter] | None = strawberry.field(default=None, name="or")
    not_: TicketFilter | None = strawberry.field(default=None, name="not")
    id: IDFilter | None = None
    number: StringFilter | None = None
    customer: IDFilter | None = None
    assignee: IDFilter | None = None
    status: list[TicketStatus] | None = None
    priority: list[TicketPriority] | None = None
    category: StringFilter | None = None
    department: list[str] | None = strawberry.field(default=None, description="Department codes.")
    tag: str | None = strawberry.field(default=None, description="Tickets carrying this tag (lower-case).")
    breached: bool | None = strawberry.field(
        default=None,
        description="true: the resolution target was missed (stamped), or the ticket is not resolved and its due time "
        "has passed (while paused: passed before the pause). false: the others.",
    )
    sla_due_at: DateTimeFilter | None = strawberry.field(default=None, description="On the resolution due time.")
    created_at: DateTimeFilter | None = None
    search: str | None = strawberry.field(default=None, description="Subject, description or number contains this text (ignoring case).")
    custom: JSON | None = strawberry.field(default=None, description='Custom fields: {"field": {"eq|ne|gt|gte|lt|lte|in|contains|isNull": value}}.')


@strawberry.enum
class TicketSortField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    PRIORITY = "PRIORITY"
    SLA_DUE_AT = "SLA_DUE_AT"
    CUSTOM = "CUSTOM"


@strawberry.input(description="One sort key; ties are always broken by id. PRIORITY sorts by severity: LOW < NORMAL < HIGH < URGENT.")
class TicketOrder:
    field: TicketSortField
    direction: SortDirection = SortDirection.ASC
    custom_field: str | None = strawberry.field(
        default=None, description="With field CUSTOM: the custom field to sort by (its snake_case name, e.g. floor).")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}
_PRIORITY_SQL = "CASE \"priority\" " + " ".join(f"WHEN '{p.value}' THEN {r}" for p, r in PRIORITY_RANK.items()) + " ELSE -1 END"

SORT_KEYS = {
    "CREATED_AT": SortKey("created_at", "datetime"),
    "UPDATED_AT": SortKey("updated_at", "datetime"),
    "PRIORITY": SortKey("_priority_rank", "int", sql=_PRIORITY_SQL),
    "SLA_DUE_AT": SortKey("resolution_due_at", "datetime"),
}
DEFAULT_ORDER = ("CREATED_AT", False)


def ticket_ordering(order_by: list[TicketOrder] | None) -> Any:
    """The pagination order of ``order_by``: core keys, and custom fields of the installed plugins."""
    return ordering_with_custom(order_by, SORT_KEYS, DEFAULT_ORDER, "ticket", active().fields, Annotations().dialect)


def order_signature(order_by: list[TicketOrder] | None) -> list[tuple[str, str, str | None]]:
    """What tells two orders apart (a dataloader per distinct order)."""
    return [(o.field.value, o.direction.value, o.custom_field) for o in order_by or []]


def breached_q(now: datetime) -> Q:
    """Resolution target missed: stamped, or still to resolve and overdue."""
    done = [s.value for s in DONE]
    running = Q(sla_paused_at__isnull=True) | Q(resolution_due_at__lt=F("sla_paused_at"))  # paused: the clock stands still
    return Q(resolution_breached_at__isnull=False) | (~Q(status__in=done) & Q(resolution_due_at__lt=now) & running)


def ticket_q(where: TicketFilter | None, department_ids: dict[str, int], annotations: Annotations, now: datetime) -> Q:
    if where is None:
        return Q()

    def own(f: TicketFilter) -> Q:
        q = Q()
        if f.id:
            q &= id_q("id", f.id, "Ticket", "where.id")
        if f.number:
            q &= string_q("number", f.number, "where.number", models.Ticket)
        if f.customer:
            q &= id_q("customer_id", f.customer, "Customer", "where.customer")
        if f.assignee:
            q &= id_q("assignee_id", f.assignee, "Agent", "where.assignee")
        if f.status is not None:
            q &= Q(status__in=[s.value for s in f.status])
        if f.priority is not None:
            q &= Q(priority__in=[p.value for p in f.priority])
        if f.category:
            q &= string_q("category", f.category, "where.category", models.Ticket)
        if f.department is not None:
            q &= Q(department_id__in=[department_ids[c] for c in f.department if c in department_ids])
        if f.tag:
            q &= Q(**{annotations.add(array_contains("tags", f.tag.strip().lower(), annotations.dialect)): 1})
        if f.breached is not None:
            q &= breached_q(now) if f.breached else ~breached_q(now)
        if f.sla_due_at:
            q &= ordered_q("resolution_due_at", f.sla_due_at, "where.slaDueAt")
        if f.created_at:
            q &= ordered_q("created_at", f.created_at, "where.createdAt")
        if f.custom is not None:
            q &= custom_q("ticket", f.custom, annotations, active().fields)
        if f.search:
            text = search_text(f.search, "where.search")
            q &= Q(subject__icontains=text) | Q(description__icontains=text) | Q(number__icontains=text)
        return q

    return combine(where, own)
