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


class PolicyChange(Model):
    """One change to the access policy: who, when, what (the rule before and after)."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor = fields.CharField(max_length=400, description='Subject who changed it, e.g. "user:security@x.com"')
    actor_agent = fields.ForeignKeyField(
        "rapport.Agent", related_name="policy_changes", null=True, on_delete=fields.SET_NULL
    )
    change = fields.CharField(max_length=32, description="add_rule, remove_rule, grant_role, revoke_role, import")
    rule = fields.TextField(description="The rule as a CSV line, e.g. p, role:agent, sales, customer, read, dept, allow")
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    version = fields.BigIntField(description="Policy version after this change")

    class Meta:
        table = "policy_changes"
        indexes = (("at", "id"),)
