"""Customer mutations: expected failures come back as typed errors in the payload."""

from __future__ import annotations

import strawberry

from rapport.graphql.core.errors import FieldError, field_errors, forbidden
from rapport.graphql.core.ids import input_id, to_global_id
from rapport.graphql.customers.inputs import CreateCustomerInput, UpdateCustomerInput, given
from rapport.graphql.customers.types import Customer
from rapport.graphql.gate import secured
from rapport.services import customers as service
from rapport.services.errors import DomainError


@strawberry.type
class CustomerPayload:
    customer: Customer | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class MergeCustomersPayload:
    customer: Customer | None = None
    merged: list[strawberry.ID] = strawberry.field(default_factory=list)
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(extensions=[secured("customer", "create", forbidden(CustomerPayload))])
    async def create_customer(self, info: strawberry.Info, input: CreateCustomerInput) -> CustomerPayload:
        try:
            row = await service.create_customer(await info.context.plan(), given(input), info.context.settings, info.context.request_id)
        except DomainError as error:
            return CustomerPayload(errors=field_errors(error))
        return CustomerPayload(customer=Customer.from_model(row))

    @strawberry.mutation(
        description=(
            "Change a customer. With expectedVersion, a stale version gives CONFLICT and changes nothing; "
            "without it, the change applies to the latest version (last writer wins)."
        ),
        extensions=[secured("customer", "update", forbidden(CustomerPayload))],
    )
    async def update_customer(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateCustomerInput, expected_version: int | None = None
    ) -> CustomerPayload:
        try:
            pk = input_id(id, "Customer", "id")
            row = await service.update_customer(
                await info.context.plan(), pk, given(input), info.context.settings, expected_version, info.context.request_id
            )
        except DomainError as error:
            return CustomerPayload(errors=field_errors(error))
        return CustomerPayload(customer=Customer.from_model(row))

    @strawberry.mutation(
        description="Move the duplicates' interactions and tickets to the survivor and soft-delete the duplicates.",
        extensions=[secured("customer", "update", forbidden(MergeCustomersPayload))],
    )
    async def merge_customers(self, info: strawberry.Info, survivor: strawberry.ID, duplicates: list[strawberry.ID]) -> MergeCustomersPayload:
        try:
            survivor_pk = input_id(survivor, "Customer", "survivor")
            duplicate_pks = [input_id(d, "Customer", "duplicates", str(i)) for i, d in enumerate(duplicates)]
            row, merged = await service.merge_customers(await info.context.plan(), survivor_pk, duplicate_pks, info.context.request_id)
        except DomainError as error:
            return MergeCustomersPayload(errors=field_errors(error))
        return MergeCustomersPayload(customer=Customer.from_model(row), merged=[to_global_id("Customer", pk) for pk in merged])

    @strawberry.mutation(
        description="Soft delete: the customer disappears from every read; the audit keeps the record.",
        extensions=[secured("customer", "delete", forbidden(CustomerPayload))],
    )
    async def delete_customer(self, info: strawberry.Info, id: strawberry.ID) -> CustomerPayload:
        try:
            row = await service.delete_customer(await info.context.plan(), input_id(id, "Customer", "id"), info.context.request_id)
        except DomainError as error:
            return CustomerPayload(errors=field_errors(error))
        return CustomerPayload(customer=Customer.from_model(row))
