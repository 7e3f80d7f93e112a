"""GraphQL types of customers. PII fields pass through the request's permission plan: full, masked or null."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from rapport import models
from rapport.authz.masking import mask_address, mask_email, mask_phone
from rapport.graphql.core.pagination import Connection
from rapport.graphql.org.dataloaders import agent_by_id, department_by_id, department_codes, known_department_codes
from rapport.graphql.org.types import Agent, Department

if TYPE_CHECKING:
    from rapport.authz.plan import PermissionPlan

CustomerSegment = strawberry.enum(models.CustomerSegment, description="Lifecycle class (standardized).")
CustomerTier = strawberry.enum(
    models.CustomerTier, description="Value class (standardized): high-net-worth, ordinary, potential."
)


@strawberry.type(description="A postal address. PII: masked form keeps only city and country.")
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code.")


REASON_KEYS = ("rule", "plugin", "explanation", "target", "value")


@strawberry.type(description="Which rule (and plugin) set a class or tag, and why.")
class ClassificationReason:
    rule: str
    plugin: str
    explanation: str
    target: str | None = strawberry.field(default=None, description='What it decided: "segment", "tier" or "tag".')
    value: str | None = strawberry.field(default=None, description='The value it set, e.g. "existing", "high" or the tag.')


@strawberry.type(description="The customer's standardized classes and the reasons for each.")
class Classification:
    segment: CustomerSegment
    tier: CustomerTier
    tags: list[str]
    classified_at: datetime | None
    reasons: list[ClassificationReason]


def address_of(row: models.Customer) -> dict[str, str | None] | None:
    value = {
        "line1": row.address_line1, "line2": row.address_line2, "city": row.address_city,
        "region": row.address_region, "postalCode": row.address_postal_code, "country": row.address_country,
    }
    return value if any(value.values()) else None


def _shown(info: strawberry.Info, plan: PermissionPlan, codes: dict[int, str], customer: Customer, field: str,
           value: Any, masker: Any) -> Any:
    is_own = plan.actor.agent_id is not None and customer.owner_id == plan.actor.agent_id
    mode = plan.field_mode(f"customer.{field}", codes.get(customer.department_id, ""), is_own)
    if mode == "full":
        return value
    # Counted for null values too: a count of only the non-null ones would tell which hidden values exist.
    info.context.redact(f"Customer.{field}", mode)
    return masker(value) if mode == "masked" and value is not None else None


async def _shown_later(info: strawberry.Info, customer: Customer, field: str, value: Any, masker: Any) -> Any:
    return _shown(info, await info.context.plan(), await department_codes(info), customer, field, value, masker)


def _pii(info: strawberry.Info, customer: Customer, field: str, value: Any, masker: Any) -> Any:
    """The value as the viewer may see it; the withheld or masked use is recorded as a redaction.

    Answered at once when the request holds its plan and the department codes (a customer list loads
    both before its rows resolve), else an awaitable: graphql-core awaits what a resolver returns, and a
    page of 50 customers then costs no coroutine per personal field."""
    plan, codes = info.context.ready_plan, known_department_codes(info)
    if plan is None or codes is None:
        return _shown_later(info, customer, field, value, masker)
    return _shown(info, plan, codes, customer, field, value, masker)


def _address(value: dict[str, Any] | None) -> Address | None:
    if value is None:
        return None
    return Address(
        line1=value.get("line1"), line2=value.get("line2"), city=value.get("city"),
        region=value.get("region"), postal_code=value.get("postalCode"), country=value.get("country"),
    )


async def _address_later(shown: Awaitable[dict[str, Any] | None]) -> Address | None:
    return _address(await shown)


@strawberry.type(description="A person or company the organisation serves.")
class Customer(relay.Node):
    id: relay.NodeID[int]
    name: str
    company: str | None
    title: str | None
    segment: CustomerSegment
    tier: CustomerTier
    tags: list[str]
    last_interaction_at: datetime | None
    version: int = strawberry.field(description="Increases on every update; updates may send expectedVersion.")
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Customer]

    @property
    def owner_id(self) -> int | None:
        return self.row.owner_id

    @property
    def department_id(self) -> int:
        return self.row.department_id

    @classmethod
    def from_model(cls, row: models.Customer) -> Customer:
        return cls(
            id=row.id, name=row.name, company=row.company, title=row.title,
            segment=CustomerSegment(row.segment), tier=CustomerTier(row.tier), tags=list(row.tags or []),
            last_interaction_at=row.last_interaction_at, version=row.version,
            created_at=row.created_at, updated_at=row.updated_at, row=row,
        )

    @strawberry.field(description='PII. Null or masked ("a***@example.com") unless the viewer may read it in full.')
    def email(self, info: strawberry.Info) -> str | None:  # may return an awaitable: see _pii
        return _pii(info, self, "email", self.row.email, mask_email)

    @strawberry.field(description='PII, E.164 ("+8613800138000"). Masked as "+86 138****8000" or null without full read.')
    def phone(self, info: strawberry.Info) -> str | None:  # may return an awaitable: see _pii
        return _pii(info, self, "phone", self.row.phone, mask_phone)

    @strawberry.field(description="PII. The masked form keeps only city and country.")
    def address(self, info: strawberry.Info) -> Address | None:  # may return an awaitable: see _pii
        shown = _pii(info, self, "address", address_of(self.row), mask_address)
        return _address_later(shown) if inspect.isawaitable(shown) else _address(shown)

    @strawberry.field(description="Plugin-defined custom fields as JSON, validated on every write; personal (pii) "
                      "custom fields are masked or left out unless you may read them. Typed access: customFields.")
    async def custom(self, info: strawberry.Info) -> JSON:
        from rapport.custom_fields.graphql import visible_custom

        return await visible_custom(info, self, "customer", self.row.custom or {})

    @strawberry.field(description="The standardized classes with the reasons for each.")
    def classification(self) -> Classification:
        data = self.row.classification or {}
        classified_at = data.get("classifiedAt")
        return Classification(
            segment=self.segment, tier=self.tier, tags=self.tags,
            classified_at=datetime.fromisoformat(classified_at) if classified_at else None,
            reasons=[ClassificationReason(**{k: reason.get(k) for k in REASON_KEYS}) for reason in data.get("reasons", [])],
        )

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> Agent | None:
        if self.owner_id is None:
            return None
        row = await agent_by_id(info).load(self.owner_id)
        return Agent.from_model(row) if row else None

    @strawberry.field
    async def department(self, info: strawberry.Info) -> Department:
        row = await department_by_id(info).load(self.department_id)
        return Department.from_model(row)

    @strawberry.field(description="Tickets of this customer not yet resolved or closed (that the viewer may read).")
    async def open_ticket_count(self, info: strawberry.Info) -> int:
        from rapport.graphql.customers.dataloaders import open_ticket_count

        return await open_ticket_count(info).load(self.id)

    @strawberry.field(description="Interactions with this customer that you may read, newest first (first/after only).")
    async def interactions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        where: Annotated["InteractionFilter", strawberry.lazy("rapport.graphql.interactions.filters")] | None = None,
        order_by: list[Annotated["InteractionOrder", strawberry.lazy("rapport.graphql.interactions.filters")]] | None = None,
    ) -> Connection[Annotated["Interaction", strawberry.lazy("rapport.graphql.interactions.types")]]:
        from rapport.graphql.interactions.dataloaders import interactions_by_parent

        return await interactions_by_parent(info, "customer_id", first, after, where, order_by).load(self.id)

    @strawberry.field(description="Tickets of this customer that you may read, oldest first unless orderBy says otherwise (first/after only).")
    async def tickets(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        where: Annotated["TicketFilter", strawberry.lazy("rapport.graphql.tickets.filters")] | None = None,
        order_by: list[Annotated["TicketOrder", strawberry.lazy("rapport.graphql.tickets.filters")]] | None = None,
    ) -> Connection[Annotated["Ticket", strawberry.lazy("rapport.graphql.tickets.types")]]:
        from rapport.graphql.tickets.dataloaders import tickets_by_customer

        return await tickets_by_customer(info, first, after, where, order_by).load(self.id)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        from rapport.graphql.customers.queries import readable_customers

        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = {row.id: row for row in await (await readable_customers(info)).filter(id__in=ids)}
        return [cls.from_model(rows[int(i)]) if str(i).isdigit() and int(i) in rows else None for i in node_ids]
