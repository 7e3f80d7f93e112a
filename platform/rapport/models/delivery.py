"""Delivery state of outbox events: one row per (event, consumer), and outgoing webhooks."""

from tortoise import fields
from tortoise.models import Model


class OutboxDelivery(Model):
    """An event's delivery to one consumer (a plugin's on_event, a webhook relay): retried, then parked."""

    id = fields.BigIntField(primary_key=True)
    event = fields.ForeignKeyField("rapport.OutboxEvent", related_name="deliveries", on_delete=fields.CASCADE)
    consumer = fields.CharField(max_length=100, description="Plugin name or other consumer")
    attempts = fields.IntField(default=0, db_default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    parked_at = fields.DatetimeField(null=True, description="Gave up after the retries, visible to admins")
    last_error = fields.TextField(null=True)

    class Meta:
        table = "outbox_deliveries"
        unique_together = (("event_id", "consumer"),)
        indexes = (("consumer", "delivered_at", "next_attempt_at"), ("parked_at",))


class WebhookSubscription(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    url = fields.CharField(max_length=2000)
    secret = fields.CharField(max_length=200, description="HMAC-SHA256 key for the signature header")
    topics = fields.JSONField(default=list, description='Event topics, e.g. ["ticket.opened"], or ["*"]')
    active = fields.BooleanField(default=True, db_default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_subscriptions"


class WebhookDelivery(Model):
    id = fields.BigIntField(primary_key=True)
    subscription = fields.ForeignKeyField("rapport.WebhookSubscription", related_name="deliveries", on_delete=fields.CASCADE)
    event = fields.ForeignKeyField("rapport.OutboxEvent", related_name="webhook_deliveries", on_delete=fields.CASCADE)
    attempts = fields.IntField(default=0, db_default=0)
    status = fields.CharField(max_length=16, default="pending", db_default="pending", description="pending, delivered, failed")
    response_code = fields.IntField(null=True)
    last_error = fields.TextField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_deliveries"
        unique_together = (("subscription_id", "event_id"),)
        indexes = (("status", "next_attempt_at"),)
