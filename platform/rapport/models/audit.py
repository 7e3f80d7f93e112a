"""The append-only audit trail: who did what to which record, never the PII values."""

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor = fields.CharField(max_length=400, description='Subject, e.g. "user:a@b.c" or "key:erp"')
    action = fields.CharField(max_length=64, description='e.g. "customer.update"')
    entity = fields.CharField(max_length=64)
    entity_id = fields.CharField(max_length=64)
    fields_changed = fields.JSONField(default=list, description="Names of the fields changed, not their values")
    data = fields.JSONField(default=dict, description="Non-PII context (e.g. from/to status)")
    request_id = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_entries"
        indexes = (("entity", "entity_id", "at"), ("at", "id"), ("actor", "at"))
