"""Tortoise models of the core, one module per aggregate."""

# No ";" in model docstrings or field descriptions: they become SQL comments, and tortoise's SQLite
# schema editor splits statements on ";" (tests/models/test_descriptions.py guards this).

from rapport.models.audit import AuditEntry
from rapport.models.counter import Counter
from rapport.models.delivery import OutboxDelivery, WebhookDelivery, WebhookSubscription
from rapport.models.customer import Customer, CustomerSegment, CustomerTier
from rapport.models.idempotency import IdempotencyRecord
from rapport.models.lease import JobLease
from rapport.models.interaction import Interaction, InteractionChannel, InteractionDirection
from rapport.models.org import Agent, ApiKey, Department
from rapport.models.outbox import OutboxEvent
from rapport.models.policy import PolicyChange, PolicyRule
from rapport.models.segment_history import CustomerSegmentChange
from rapport.models.ticket import Ticket, TicketActivity, TicketActivityKind, TicketPriority, TicketStatus

__all__ = [
    "Agent",
    "ApiKey",
    "AuditEntry",
    "Counter",
    "Customer",
    "CustomerSegment",
    "CustomerSegmentChange",
    "CustomerTier",
    "Department",
    "IdempotencyRecord",
    "Interaction",
    "InteractionChannel",
    "InteractionDirection",
    "JobLease",
    "OutboxDelivery",
    "OutboxEvent",
    "PolicyChange",
    "PolicyRule",
    "Ticket",
    "TicketActivity",
    "TicketActivityKind",
    "TicketPriority",
    "TicketStatus",
    "WebhookDelivery",
    "WebhookSubscription",
]
