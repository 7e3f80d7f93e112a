"""Access rules and role grants, stored as casbin rows (ptype, v0..v5)."""

from tortoise import fields
from tortoise.models import Model


class PolicyRule(Model):
    """A casbin rule. ``p`` = subject, department, resource, action, scope, effect. ``g`` = subject, role, department."""

    id = fields.IntField(primary_key=True)
    ptype = fields.CharField(max_length=8)
    v0 = fields.CharField(max_length=255, default="", db_default="")
    v1 = fields.CharField(max_length=255, default="", db_default="")
    v2 = fields.CharField(max_length=255, default="", db_default="")
    v3 = fields.CharField(max_length=255, default="", db_default="")
    v4 = fields.CharField(max_length=255, default="", db_default="")
    v5 = fields.CharField(max_length=255, default="", db_default="")

    class Meta:
        table = "policy_rules"
        unique_together = (("ptype", "v0", "v1", "v2", "v3", "v4", "v5"),)
        indexes = (("ptype", "v0"),)
