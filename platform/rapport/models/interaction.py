"""Interactions: every call, email, meeting or message with a customer."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class InteractionChannel(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    CHAT = "chat"
    SMS = "sms"
    VISIT = "visit"
    OTHER = "other"


class InteractionDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Interaction(Model):
    id = fields.BigIntField(primary_key=True)
    customer = fields.ForeignKeyField("rapport.Customer", related_name="interactions", on_delete=fields.RESTRICT)
    agent = fields.ForeignKeyField("rapport.Agent", related_name="interactions", null=True, on_delete=fields.SET_NULL)
    ticket = fields.ForeignKeyField("rapport.Ticket", related_name="interactions", null=True, on_delete=fields.SET_NULL)
    channel = fields.CharEnumField(InteractionChannel, max_length=16)
    direction = fields.CharEnumField(InteractionDirection, max_length=16)
    subject = fields.CharField(max_length=300)
    body = fields.TextField(null=True)
    occurred_at = fields.DatetimeField()
    duration_seconds = fields.IntField(null=True)
    custom = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "interactions"
        indexes = (
            ("customer_id", "occurred_at", "id"),
            ("agent_id", "occurred_at"),
            ("ticket_id", "occurred_at"),
            ("occurred_at", "id"),
        )
