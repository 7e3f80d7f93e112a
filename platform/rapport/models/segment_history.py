"""Every change of a customer's segment, so churn over any past period can be computed."""

from tortoise import fields
from tortoise.models import Model

from rapport.models.customer import CustomerSegment


class CustomerSegmentChange(Model):
    id = fields.BigIntField(primary_key=True)
    customer = fields.ForeignKeyField("rapport.Customer", related_name="segment_changes", on_delete=fields.CASCADE)
    department = fields.ForeignKeyField("rapport.Department", related_name="segment_changes", on_delete=fields.RESTRICT)
    from_segment = fields.CharEnumField(CustomerSegment, max_length=16, null=True, description="Null when the customer was created")
    to_segment = fields.CharEnumField(CustomerSegment, max_length=16)
    at = fields.DatetimeField()
    rule = fields.CharField(max_length=200, description="The rule that decided, e.g. default.churn_after_days")
    plugin = fields.CharField(max_length=100, default="rapport", db_default="rapport")

    class Meta:
        table = "customer_segment_changes"
        indexes = (("to_segment", "at"), ("customer_id", "at", "id"), ("department_id", "at"))
