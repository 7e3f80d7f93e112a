"""Remembered results of mutations sent with an idempotency key."""

from tortoise import fields
from tortoise.models import Model


class IdempotencyRecord(Model):
    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=200, description="Operation and actor the key belongs to")
    key = fields.CharField(max_length=200)
    request_hash = fields.CharField(max_length=64, description="sha256 of the normalized input")
    entity = fields.CharField(max_length=64)
    entity_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_records"
        unique_together = (("scope", "key"),)
        indexes = (("created_at",),)
