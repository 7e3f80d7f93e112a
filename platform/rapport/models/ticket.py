"""Tickets (service requests) and their service record (activities)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketActivityKind(StrEnum):
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    COMMENT = "comment"
    WORK_LOG = "work_log"
    ESCALATED = "escalated"
    SLA_BREACHED = "sla_breached"
    CLASSIFIED = "classified"
    RATED = "rated"


class Ticket(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=32, unique=True, description='Human reference, e.g. "T-000123"')
    subject = fields.CharField(max_length=300)
    description = fields.TextField(null=True)
    customer = fields.ForeignKeyField("rapport.Customer", related_name="tickets", on_delete=fields.RESTRICT)
    department = fields.ForeignKeyField("rapport.Department", related_name="tickets", on_delete=fields.RESTRICT)
    assignee = fields.ForeignKeyField(
        "rapport.Agent", related_name="assigned_tickets", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(TicketStatus, max_length=16, default=TicketStatus.NEW)
    priority = fields.CharEnumField(TicketPriority, max_length=16, default=TicketPriority.NORMAL)
    category = fields.CharField(max_length=100, null=True)
    tags = fields.JSONField(default=list)
    custom = fields.JSONField(default=dict)
    sla_policy = fields.CharField(max_length=100, default="default", db_default="default")
    first_response_due_at = fields.DatetimeField()
    resolution_due_at = fields.DatetimeField()
    first_responded_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    first_response_breached_at = fields.DatetimeField(null=True)
    resolution_breached_at = fields.DatetimeField(null=True)
    sla_paused_at = fields.DatetimeField(null=True, description="Set while PENDING: SLA clocks stop")
    sla_paused_seconds = fields.IntField(default=0, db_default=0, description="Business seconds spent paused so far")
    first_response_warn_at = fields.DatetimeField(null=True, description="When ticket.sla_warning is due (a share of the target)")
    resolution_warn_at = fields.DatetimeField(null=True, description="When ticket.sla_warning is due (a share of the target)")
    first_response_warned_at = fields.DatetimeField(null=True)
    resolution_warned_at = fields.DatetimeField(null=True)
    escalated_at = fields.DatetimeField(null=True)
    satisfaction = fields.SmallIntField(null=True, description="CSAT 1..5 after resolution")
    satisfaction_comment = fields.TextField(null=True)
    version = fields.IntField(default=1, db_default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tickets"
        # The work queue (status new/open by SLA due time) is a partial index: see rapport.partial_indexes.
        indexes = (
            ("department_id", "status", "resolution_due_at", "id"),
            ("customer_id", "status"),
            ("assignee_id", "status"),
            ("created_at", "id"),
            ("updated_at", "id"),
            ("resolution_due_at", "id"),
            ("resolved_at",),
            # Covers the ticket reports by department (volume, SLA compliance, satisfaction): the
            # period's tickets are read from the index alone, without their rows.
            ("created_at", "department_id", "customer_id", "resolved_at", "resolution_due_at", "satisfaction"),
        )


class TicketActivity(Model):
    """One step of the service process: what was done, when, by whom, with what result."""

    id = fields.BigIntField(primary_key=True)
    ticket = fields.ForeignKeyField("rapport.Ticket", related_name="activities", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(TicketActivityKind, max_length=32)
    actor = fields.ForeignKeyField("rapport.Agent", related_name="ticket_activities", null=True, on_delete=fields.SET_NULL)
    at = fields.DatetimeField()
    note = fields.TextField(null=True)
    from_status = fields.CharEnumField(TicketStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(TicketStatus, max_length=16, null=True)
    minutes_spent = fields.IntField(null=True)
    data = fields.JSONField(default=dict)

    class Meta:
        table = "ticket_activities"
        indexes = (("ticket_id", "at", "id"),)
