"""Departments, agents (the people who use Rapport) and API keys (machine clients)."""

from tortoise import fields
from tortoise.models import Model


class Department(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True, description="Stable code used in policies, e.g. 'sales'")
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "departments"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code


class Agent(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=320, unique=True)
    name = fields.CharField(max_length=200)
    department = fields.ForeignKeyField(
        "rapport.Department", related_name="agents", null=True, on_delete=fields.SET_NULL
    )
    active = fields.BooleanField(default=True, db_default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "agents"
        indexes = (("department_id", "active"),)

    def __str__(self) -> str:
        return self.email


class ApiKey(Model):
    """A machine client. Only a hash of the key is stored, the key itself is shown once at creation."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    prefix = fields.CharField(max_length=16, unique=True, description="Public lookup part of the key")
    key_hash = fields.CharField(max_length=64, description="sha256 hex of the whole key")
    roles = fields.JSONField(default=list, description='Grants as "role@department"')
    department = fields.ForeignKeyField(
        "rapport.Department", related_name="api_keys", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_keys"
