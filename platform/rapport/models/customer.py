"""Customers: the people and companies a department serves."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CustomerSegment(StrEnum):
    """Lifecycle class (standardized)."""

    POTENTIAL = "potential"
    EXISTING = "existing"
    CHURNED = "churned"


class CustomerTier(StrEnum):
    """Value class (standardized)."""

    HIGH = "high"
    ORDINARY = "ordinary"
    POTENTIAL = "potential"


class Customer(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=320, null=True, description="Normalized, PII")
    phone = fields.CharField(max_length=32, null=True, description="E.164, PII")
    company = fields.CharField(max_length=200, null=True)
    title = fields.CharField(max_length=200, null=True)
    address_line1 = fields.CharField(max_length=200, null=True)
    address_line2 = fields.CharField(max_length=200, null=True)
    address_city = fields.CharField(max_length=100, null=True)
    address_region = fields.CharField(max_length=100, null=True)
    address_postal_code = fields.CharField(max_length=32, null=True)
    address_country = fields.CharField(max_length=2, null=True, description="ISO 3166-1 alpha-2")
    segment = fields.CharEnumField(CustomerSegment, max_length=16, default=CustomerSegment.POTENTIAL)
    tier = fields.CharEnumField(CustomerTier, max_length=16, default=CustomerTier.POTENTIAL)
    tags = fields.JSONField(default=list)
    owner = fields.ForeignKeyField(
        "rapport.Agent", related_name="owned_customers", null=True, on_delete=fields.SET_NULL
    )
    department = fields.ForeignKeyField(
        "rapport.Department", related_name="customers", on_delete=fields.RESTRICT
    )
    custom = fields.JSONField(default=dict, description="Plugin-defined custom field values")
    classification = fields.JSONField(default=dict, description="classifiedAt and reasons of segment, tier and tags")
    last_interaction_at = fields.DatetimeField(null=True)
    merged_into = fields.ForeignKeyField(
        "rapport.Customer", related_name="merged_duplicates", null=True, on_delete=fields.SET_NULL
    )
    version = fields.IntField(default=1, db_default=1)
    deleted_at = fields.DatetimeField(null=True, description="Soft delete, the audit keeps the record")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customers"
        # Live-row uniqueness of email/phone (dedupe) is a partial unique index: see
        # rapport.partial_indexes, created by migration 0002.
        indexes = (
            ("department_id", "created_at", "id"),
            ("department_id", "segment", "tier"),
            ("segment", "tier", "created_at", "id"),
            ("owner_id", "created_at"),
            ("created_at", "id"),
            ("updated_at", "id"),
            ("last_interaction_at", "id"),
            ("name", "id"),
        )

    def __str__(self) -> str:
        return f"{self.name} (#{self.id})"
