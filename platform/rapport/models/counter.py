"""Named counters incremented inside the caller's transaction: gapless sequences (ticket numbers) and
versions (the access policy's)."""

from tortoise import fields
from tortoise.models import Model


class Counter(Model):
    name = fields.CharField(max_length=64, primary_key=True)
    value = fields.BigIntField(default=0, db_default=0)

    class Meta:
        table = "counters"
