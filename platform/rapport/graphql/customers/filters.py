"""``CustomerFilter`` and ``CustomerOrder``, and their translation to SQL.

A condition (filter or search) on a personal field is false on rows whose field the viewer may not
read in full, and so its ``not`` is true there; sorting puts those rows where NULLs go. Nothing the
viewer observes then depends on a value that masking hides.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from tortoise.expressions import Q

from rapport import models
from rapport.authz.plan import PermissionPlan
from rapport.authz.readable import ReadableRows, readable_rows
from rapport.graphql.core.annotations import Annotations
from rapport.graphql.core.json_array import array_contains
from rapport.custom_fields.sql import custom_q, ordering_with_custom
from rapport.plugins import active
from rapport.graphql.core.filters import DateTimeFilter, IDFilter, SortDirection, StringFilter, combine, id_q, ordered_q, search_text, string_q
from rapport.graphql.core.pagination import SortKey
from rapport.graphql.customers.types import CustomerSegment, CustomerTier


@strawberry.input(description="Which customers to list. All given conditions must hold; use and/or/not to combine.")
class CustomerFilter:
    and_: list[CustomerFilter] | None = strawberry.field(default=None, name="and")
    or_: list[CustomerFilter] | None = strawberry.field(default=None, name="or")
    not_: CustomerFilter | None = strawberry.field(default=None, name="not")
    id: IDFilter | None = None
    name: StringFilter | None = None
    email: StringFilter | None = strawberry.field(default=None, description="Matches only customers whose email you may read in full.")
    phone: StringFilter | None = strawberry.field(default=None, description="E.164. Matches only customers whose phone you may read in full.")
    company: StringFilter | None = None
    segment: list[CustomerSegment] | None = None
    tier: list[CustomerTier] | None = None
    tag: str | None = strawberry.field(default=None, description="Customers carrying this tag (lower-case).")
    department: list[str] | None = strawberry.field(default=None, description="Department codes.")
    owner: IDFilter | None = None
    created_at: DateTimeFilter | None = None
    last_interaction_at: DateTimeFilter | None = None
    custom: JSON | None = strawberry.field(default=None, description='Custom fields: {"field": {"eq|ne|gt|gte|lt|lte|in|contains|isNull": value}}.')
    search: str | None = strawberry.field(default=None, description="Name, company, email or phone contains this text (ignoring case).")


@strawberry.enum
class CustomerSortField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    NAME = "NAME"
    LAST_INTERACTION_AT = "LAST_INTERACTION_AT"
    TIER = "TIER"
    CUSTOM = "CUSTOM"


@strawberry.input(description="One sort key; ties are always broken by id.")
class CustomerOrder:
    field: CustomerSortField
    direction: SortDirection = SortDirection.ASC
    custom_field: str | None = strawberry.field(
        default=None, description="With field CUSTOM: the custom field to sort by (its snake_case name, e.g. loyalty_points).")


SORT_KEYS = {
    "CREATED_AT": SortKey("created_at", "datetime"),
    "UPDATED_AT": SortKey("updated_at", "datetime"),
    "NAME": SortKey("name", "str"),
    "LAST_INTERACTION_AT": SortKey("last_interaction_at", "datetime", nullable=True),
    "TIER": SortKey("tier", "str"),
}
DEFAULT_ORDER = ("CREATED_AT", False)


async def readable_custom_fields(plan: PermissionPlan) -> dict[str, ReadableRows]:
    """Per personal custom field of customers, the rows where the viewer reads it in full."""
    return {field.name: await readable_rows(plan, f"customer.{field.name}") for field in active().fields.pii("customer")}


async def customer_ordering(order_by: list[CustomerOrder] | None, plan: PermissionPlan, dialect: str) -> Any:
    """The pagination order of ``order_by`` (personal custom fields sort as NULL where not readable)."""
    catalog = active().fields
    readable = await readable_custom_fields(plan) if any(o.field is CustomerSortField.CUSTOM for o in order_by or []) else {}
    return ordering_with_custom(order_by, SORT_KEYS, DEFAULT_ORDER, "customer", catalog, dialect, readable)


async def customer_q(
    where: CustomerFilter | None, plan: PermissionPlan, department_ids: dict[str, int], annotations: Annotations
) -> Q:
    if where is None:
        return Q()
    full_email = await readable_rows(plan, "customer.email")
    full_phone = await readable_rows(plan, "customer.phone")
    catalog = active().fields
    pii_readable = await readable_custom_fields(plan)

    def own(f: CustomerFilter) -> Q:
        q = Q()
        if f.id:
            q &= id_q("id", f.id, "Customer", "where.id")
        if f.name:
            q &= string_q("name", f.name, "where.name", models.Customer)
        if f.company:
            q &= string_q("company", f.company, "where.company", models.Customer)
        if f.email:
            q &= string_q("email", f.email, "where.email", models.Customer) & full_email.q
        if f.phone:
            q &= string_q("phone", f.phone, "where.phone", models.Customer) & full_phone.q
        if f.segment is not None:
            q &= Q(segment__in=[s.value for s in f.segment])
        if f.tier is not None:
            q &= Q(tier__in=[t.value for t in f.tier])
        if f.tag:
            q &= Q(**{annotations.add(array_contains("tags", f.tag.strip().lower(), annotations.dialect)): 1})
        if f.department is not None:
            q &= Q(department_id__in=[department_ids[c] for c in f.department if c in department_ids])
        if f.owner:
            q &= id_q("owner_id", f.owner, "Agent", "where.owner")
        if f.created_at:
            q &= ordered_q("created_at", f.created_at, "where.createdAt")
        if f.last_interaction_at:
            q &= ordered_q("last_interaction_at", f.last_interaction_at, "where.lastInteractionAt")
        if f.custom is not None:
            q &= custom_q("customer", f.custom, annotations, catalog, readable=pii_readable)
        if f.search:
            text = search_text(f.search, "where.search")
            q &= (Q(name__icontains=text) | Q(company__icontains=text)
                  | (Q(email__icontains=text) & full_email.q) | (Q(phone__icontains=text) & full_phone.q))
        return q

    return combine(where, own)


