"""Mutation inputs for customers."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from rapport.graphql.core.inputs import sent
from rapport.graphql.customers.types import CustomerSegment, CustomerTier


@strawberry.input(description="A postal address; every part optional. country: ISO 3166-1 alpha-2.")
class AddressInput:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@strawberry.input(description="A new customer. Contact details are normalized (E.164 phone, lower-case email) and deduplicated.")
class CreateCustomerInput:
    name: str
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    company: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    department: str | None = strawberry.field(default=strawberry.UNSET, description="Department code; defaults to yours.")
    owner: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="Agent id; defaults to you.")
    tags: list[str] | None = strawberry.UNSET
    custom: JSON | None = strawberry.UNSET
    segment: CustomerSegment | None = strawberry.field(default=strawberry.UNSET, description="When absent, classification rules decide.")
    tier: CustomerTier | None = strawberry.UNSET


@strawberry.input(description="Changes to a customer: only the fields given change; null clears an optional field.")
class UpdateCustomerInput:
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    company: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    owner: strawberry.ID | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    custom: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Merged into the stored custom fields: a key set to null is removed (plugin fields are typed).")
    segment: CustomerSegment | None = strawberry.field(default=strawberry.UNSET, description="Pins the segment; null lets the rules decide again.")
    tier: CustomerTier | None = strawberry.field(default=strawberry.UNSET, description="Pins the tier; null lets the rules decide again.")
    department: str | None = strawberry.UNSET


_ADDRESS_KEYS = {"line1": "line1", "line2": "line2", "city": "city", "region": "region", "postal_code": "postalCode", "country": "country"}


def given(data: Any) -> dict[str, Any]:
    """The fields the client sent (UNSET ones left out), with ids and enums turned into domain values."""
    out = sent(data, ids={"owner": "Agent"}, required=("name",))
    if out.get("address") is not None:
        out["address"] = sent(out["address"], names=_ADDRESS_KEYS)
    return out
