"""The transactional outbox: domain events written in the same transaction as the change."""

from tortoise import fields
from tortoise.models import Model


class OutboxEvent(Model):
    id = fields.BigIntField(primary_key=True)
    topic = fields.CharField(max_length=100, description='e.g. "ticket.opened"')
    entity = fields.CharField(max_length=64)
    entity_id = fields.CharField(max_length=64)
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    available_at = fields.DatetimeField(description="Not delivered before this time (backoff)")
    attempts = fields.IntField(default=0, db_default=0)
    last_error = fields.TextField(null=True)
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_events"
        indexes = (("delivered_at", "available_at", "id"), ("entity", "entity_id", "id"))
