"""The core types' declarations: one per GraphQL object type the compiled read path serves.

Names are GraphQL field names (camelCase, as in ``schema/schema.graphql``). A field of the SDL that is not
declared here (a plugin's ``customFields``, ``Customer.classification``, ``Ticket.activities``) makes an
operation that selects it run through the resolvers, which remain the reference.
"""

from __future__ import annotations

from rapport import models
from rapport.authz.masking import mask_email, mask_phone
from rapport.mapping.kinds import (
    Classified, Column, Computed, Records, Count, CustomJson, Embedded, EnumColumn, NodeId, Personal, PersonalObject, ToMany, ToOne,
    TypeDeclaration,
)

OPEN_STATUSES = ("new", "open", "pending")

CUSTOMER = TypeDeclaration(
    name="Customer",
    table="customers",
    model=models.Customer,
    live_column="deleted_at",
    department_column="department_id",
    owner_column="owner_id",
    fields={
        "id": NodeId("Customer"),
        "name": Column("name"),
        "company": Column("company"),
        "title": Column("title"),
        "segment": EnumColumn("segment", models.CustomerSegment),
        "tier": EnumColumn("tier", models.CustomerTier),
        "tags": Column("tags", "json_list"),
        "lastInteractionAt": Column("last_interaction_at", "datetime"),
        "version": Column("version", "int"),
        "createdAt": Column("created_at", "datetime"),
        "updatedAt": Column("updated_at", "datetime"),
        "email": Personal("email", "customer.email", mask_email),
        "phone": Personal("phone", "customer.phone", mask_phone),
        "address": PersonalObject(
            {"line1": "address_line1", "line2": "address_line2", "city": "address_city", "region": "address_region",
             "postalCode": "address_postal_code", "country": "address_country"},
            "customer.address",
            frozenset({"city", "country"}),
        ),
        "custom": CustomJson("customer"),
        "classification": Classified(),
        "owner": ToOne("Agent", "owner_id"),
        "department": ToOne("Department", "department_id"),
        "openTicketCount": Count("Ticket", "customer_id", "status", OPEN_STATUSES),
        "interactions": ToMany("Interaction", "customer_id", frozenset({"first", "after", "where", "orderBy"})),
        "tickets": ToMany("Ticket", "customer_id", frozenset({"first", "after", "where", "orderBy"})),
    },
)

INTERACTION = TypeDeclaration(
    name="Interaction",
    table="interactions",
    model=models.Interaction,
    fields={
        "id": NodeId("Interaction"),
        "channel": EnumColumn("channel", models.InteractionChannel),
        "direction": EnumColumn("direction", models.InteractionDirection),
        "subject": Column("subject"),
        "body": Column("body"),
        "occurredAt": Column("occurred_at", "datetime"),
        "durationSeconds": Column("duration_seconds", "int"),
        "custom": Column("custom", "json_object"),
        "createdAt": Column("created_at", "datetime"),
        "customer": ToOne("Customer", "customer_id", scope="customer"),
        "agent": ToOne("Agent", "agent_id"),
        "ticket": ToOne("Ticket", "ticket_id", scope="ticket"),
    },
)

TICKET = TypeDeclaration(
    name="Ticket",
    table="tickets",
    model=models.Ticket,
    department_column="department_id",
    owner_column="assignee_id",
    fields={
        "id": NodeId("Ticket"),
        "number": Column("number"),
        "subject": Column("subject"),
        "description": Column("description"),
        "status": EnumColumn("status", models.TicketStatus),
        "priority": EnumColumn("priority", models.TicketPriority),
        "category": Column("category"),
        "tags": Column("tags", "json_list"),
        "satisfaction": Column("satisfaction", "int"),
        "custom": Column("custom", "json_object"),
        "version": Column("version", "int"),
        "createdAt": Column("created_at", "datetime"),
        "updatedAt": Column("updated_at", "datetime"),
        "customer": ToOne("Customer", "customer_id", scope="customer"),
        "department": ToOne("Department", "department_id"),
        "assignee": ToOne("Agent", "assignee_id"),
        "sla": Embedded("TicketSla"),
        "interactions": ToMany("Interaction", "ticket_id"),
        "activities": Records("TicketActivity", "ticket_id", "at"),
    },
)

TICKET_ACTIVITY = TypeDeclaration(
    name="TicketActivity",
    table="ticket_activities",
    model=models.TicketActivity,
    fields={
        "id": NodeId("TicketActivity"),
        "kind": EnumColumn("kind", models.TicketActivityKind),
        "at": Column("at", "datetime"),
        "note": Column("note"),
        "fromStatus": EnumColumn("from_status", models.TicketStatus),
        "toStatus": EnumColumn("to_status", models.TicketStatus),
        "minutesSpent": Column("minutes_spent", "int"),
        "actor": ToOne("Agent", "actor_id"),
    },
)

# Ticket.sla: read from the ticket's own row. The breaches and the time left depend on "now" and the
# business calendar: computed by the post-pass (rapport.compiler.computed) from the SLA columns.
SLA_COLUMNS = (
    "status", "sla_policy", "department_id", "first_response_due_at", "resolution_due_at", "first_responded_at",
    "resolved_at", "closed_at", "first_response_breached_at", "resolution_breached_at", "sla_paused_at",
    "sla_paused_seconds", "updated_at",
)
TICKET_SLA = TypeDeclaration(
    name="TicketSla",
    table="tickets",
    model=models.Ticket,
    fields={
        "policy": Column("sla_policy"),
        "firstResponseDueAt": Column("first_response_due_at", "datetime"),
        "resolutionDueAt": Column("resolution_due_at", "datetime"),
        "firstRespondedAt": Column("first_responded_at", "datetime"),
        "resolvedAt": Column("resolved_at", "datetime"),
        "pausedSince": Column("sla_paused_at", "datetime"),
        "firstResponseBreached": Computed("firstResponseBreached"),
        "resolutionBreached": Computed("resolutionBreached"),
        "remainingSeconds": Computed("remainingSeconds"),
        "calendar": Computed("calendar"),
    },
    extras={"computed_columns": SLA_COLUMNS},
)

AGENT = TypeDeclaration(
    name="Agent",
    table="agents",
    model=models.Agent,
    fields={
        "id": NodeId("Agent"),
        "name": Column("name"),
        "email": Column("email"),
        "active": Column("active", "bool"),
        "department": ToOne("Department", "department_id"),
    },
)

DEPARTMENT = TypeDeclaration(
    name="Department",
    table="departments",
    model=models.Department,
    fields={
        "id": NodeId("Department"),
        "code": Column("code"),
        "name": Column("name"),
    },
)

TYPES: dict[str, TypeDeclaration] = {
    declaration.name: declaration for declaration in (CUSTOMER, INTERACTION, TICKET, TICKET_SLA, TICKET_ACTIVITY, AGENT, DEPARTMENT)
}
