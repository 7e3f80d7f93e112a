"""Root fields that read customers. Every query applies the viewer's row scope in SQL."""

from __future__ import annotations

import strawberry
from strawberry.relay import GlobalID
from tortoise.queryset import QuerySet

from rapport import models
from rapport.authz.sql import row_filter
from rapport.graphql.core.annotations import Annotations
from rapport.graphql.core.ids import parse_global_id
from rapport.graphql.core.pagination import Connection, PageRequest, paginate
from rapport.graphql.customers.filters import CustomerFilter, CustomerOrder, customer_ordering, customer_q
from rapport.graphql.customers.types import Customer
from rapport.graphql.gate import secured
from rapport.graphql.org.dataloaders import department_codes


async def readable_customers(info: strawberry.Info, action: str = "read") -> QuerySet:
    """Live customers the viewer may read (an empty query when none)."""
    plan = await info.context.plan()
    scope = await row_filter(plan, "customer", action)
    live = models.Customer.filter(deleted_at__isnull=True)
    return live.filter(scope) if scope is not None else live.filter(id__in=[])


@strawberry.type
class CustomerQuery:
    @strawberry.field(description="A customer by id; null when it does not exist or you may not read it.",
                      extensions=[secured("customer", "read")])
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        pk = parse_global_id(id, "Customer")
        if pk is None:
            return None
        row = await (await readable_customers(info)).filter(id=pk).first()
        return Customer.from_model(row) if row else None

    @strawberry.field(
        description="Customers you may read. Page with first/after or last/before (default 20, at most 100: "
        "larger values are rejected). Cursors are stable for the orderBy that produced them.",
        extensions=[secured("customer", "read")],
    )
    async def customers(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None, where: CustomerFilter | None = None, order_by: list[CustomerOrder] | None = None,
    ) -> Connection[Customer]:
        plan = await info.context.plan()
        codes = await department_codes(info)
        annotations = Annotations()
        q = await customer_q(where, plan, {code: pk for pk, code in codes.items()}, annotations)
        qs = annotations.apply(await readable_customers(info)).filter(q)
        ordering = await customer_ordering(order_by, plan, annotations.dialect)
        return await paginate(qs, ordering, PageRequest(first, after, last, before), Customer.from_model)


def customer_pk(value: GlobalID | str) -> int | None:
    return parse_global_id(value, "Customer")
