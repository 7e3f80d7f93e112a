"""GraphQL types of tickets: the ticket, its service levels and its service record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from rapport import models
from rapport.graphql.core.ids import to_global_id
from rapport.graphql.core.pagination import Connection
from rapport.graphql.customers.types import Customer
from rapport.graphql.org.dataloaders import agent_by_id, department_by_id
from rapport.graphql.org.types import Agent, Department
from rapport.services.business_hours import ALWAYS, BusinessCalendar
from rapport.services.sla_policies import calendar_named
from rapport.services.ticket_sla import sla_state

TicketStatus = strawberry.enum(
    models.TicketStatus,
    description="Where a ticket is in the workflow. Allowed: NEW->OPEN|PENDING|RESOLVED|CLOSED, "
    "OPEN->PENDING|RESOLVED|CLOSED, PENDING->OPEN|RESOLVED|CLOSED, RESOLVED->CLOSED|OPEN, CLOSED->OPEN.",
)
TicketPriority = strawberry.enum(models.TicketPriority, description="How urgent a ticket is; sets its SLA due times.")
TicketActivityKind = strawberry.enum(
    models.TicketActivityKind,
    description="What a step of the service record was. Clients add COMMENT and WORK_LOG; Rapport records the others.",
)


def request_now(info: strawberry.Info) -> datetime:
    """One 'now' per request, so every ticket of a response is measured against the same moment."""
    return info.context.loaders.setdefault("now", datetime.now(UTC))


@strawberry.type(description="The ticket's service levels: due times, when they were met, and breaches.")
class TicketSla:
    policy: str = strawberry.field(description="Which SLA policy planned the due times (by priority, tier, plugin).")
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: datetime | None = strawberry.field(description="The first comment by an agent.")
    resolved_at: datetime | None
    first_response_breached: bool = strawberry.field(
        description="Responded after the due time, or not yet responded and the due time has passed."
    )
    resolution_breached: bool = strawberry.field(
        description="Resolved (or closed) after the due time, or not yet and the due time has passed."
    )
    remaining_seconds: int | None = strawberry.field(
        description="Business seconds left to the next due time (first response while unanswered, then resolution), "
        "counted in the policy's business hours (`calendar`): nights, weekends, holidays and pauses do not count. "
        "Negative when breached (business seconds overdue); null once resolved or closed; stands still while paused."
    )
    calendar: str = strawberry.field(description="The business-hours calendar the targets are counted in (\"24x7\": always).")
    paused_since: datetime | None = strawberry.field(
        description="Set while the ticket is PENDING under a policy that pauses: the clocks stand still since then."
    )

    @classmethod
    def from_model(cls, row: models.Ticket, now: datetime, calendar: BusinessCalendar = ALWAYS) -> TicketSla:
        state = sla_state(row, now, calendar)
        return cls(
            policy=row.sla_policy, first_response_due_at=row.first_response_due_at, resolution_due_at=row.resolution_due_at,
            first_responded_at=row.first_responded_at, resolved_at=row.resolved_at,
            first_response_breached=state.first_response_breached, resolution_breached=state.resolution_breached,
            remaining_seconds=state.remaining_seconds, calendar=calendar.name, paused_since=row.sla_paused_at,
        )


@strawberry.type(description="One step of the service process: what was done, when, by whom, with what result.")
class TicketActivity:
    id: strawberry.ID
    kind: TicketActivityKind
    at: datetime
    note: str | None
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    minutes_spent: int | None = strawberry.field(description="Time spent, for WORK_LOG (and COMMENT) entries.")
    actor_id: strawberry.Private[int | None]

    @strawberry.field(description="The agent who did it; null for API keys and automatic steps.")
    async def actor(self, info: strawberry.Info) -> Agent | None:
        if self.actor_id is None:
            return None
        row = await agent_by_id(info).load(self.actor_id)
        return Agent.from_model(row) if row else None

    @classmethod
    def from_model(cls, row: models.TicketActivity) -> TicketActivity:
        return cls(
            id=strawberry.ID(to_global_id("TicketActivity", row.id)), kind=TicketActivityKind(row.kind), at=row.at, note=row.note,
            from_status=TicketStatus(row.from_status) if row.from_status else None,
            to_status=TicketStatus(row.to_status) if row.to_status else None,
            minutes_spent=row.minutes_spent, actor_id=row.actor_id,
        )


@strawberry.type(description="A service request of a customer, worked by a department.")
class Ticket(relay.Node):
    id: relay.NodeID[int]
    number: str = strawberry.field(description='Human reference, e.g. "T-000123": numbered without gaps.')
    subject: str
    description: str | None
    status: TicketStatus
    priority: TicketPriority
    category: str | None
    tags: list[str]
    satisfaction: int | None = strawberry.field(description="Customer satisfaction 1..5, rated after resolution.")
    custom: JSON = strawberry.field(description="Plugin-defined custom fields as JSON.")
    version: int = strawberry.field(description="Increases on every change; changes may send expectedVersion.")
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Ticket]

    @classmethod
    def from_model(cls, row: models.Ticket) -> Ticket:
        return cls(
            id=row.id, number=row.number, subject=row.subject, description=row.description,
            status=TicketStatus(row.status), priority=TicketPriority(row.priority), category=row.category,
            tags=list(row.tags or []), satisfaction=row.satisfaction, custom=row.custom or {}, version=row.version,
            created_at=row.created_at, updated_at=row.updated_at, row=row,
        )

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer:
        from rapport.graphql.customers.dataloaders import readable_customer_by_id

        # Readable tickets are those of readable live customers: the scoped loader finds it.
        row = await readable_customer_by_id(info).load(self.row.customer_id)
        if row is None:
            raise LookupError(f"customer of ticket {self.row.id} is not readable")
        return Customer.from_model(row)

    @strawberry.field
    async def department(self, info: strawberry.Info) -> Department:
        return Department.from_model(await department_by_id(info).load(self.row.department_id))

    @strawberry.field
    async def assignee(self, info: strawberry.Info) -> Agent | None:
        if self.row.assignee_id is None:
            return None
        row = await agent_by_id(info).load(self.row.assignee_id)
        return Agent.from_model(row) if row else None

    @strawberry.field(description="Due times of the first response and the resolution, and whether they were missed.")
    async def sla(self, info: strawberry.Info) -> TicketSla:
        department = await department_by_id(info).load(self.row.department_id)
        calendar = calendar_named(self.row.sla_policy, department.code if department else "")
        return TicketSla.from_model(self.row, request_now(info), calendar)

    @strawberry.field(
        description="The service record, oldest first. `first`: default and at most 100; "
        "`after`: the id of the last activity you already have."
    )
    async def activities(self, info: strawberry.Info, first: int | None = None, after: str | None = None) -> list[TicketActivity]:
        from rapport.graphql.tickets.dataloaders import activities_by_ticket

        return await activities_by_ticket(info, first, after).load(self.id)

    @strawberry.field(description="Interactions logged on this ticket that you may read, newest first (first/after only).")
    async def interactions(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated["Interaction", strawberry.lazy("rapport.graphql.interactions.types")]]:
        from rapport.graphql.interactions.dataloaders import interactions_by_parent

        return await interactions_by_parent(info, "ticket_id", first, after).load(self.id)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        from rapport.graphql.tickets.queries import readable_tickets

        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = {row.id: row for row in await (await readable_tickets(info)).filter(id__in=ids)}
        return [cls.from_model(rows[int(i)]) if str(i).isdigit() and int(i) in rows else None for i in node_ids]


TicketConnection = Connection[Ticket]
