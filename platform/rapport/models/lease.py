"""Leases: which process runs a periodic job (the outbox relay, re-classification) right now."""

from tortoise import fields
from tortoise.models import Model


class JobLease(Model):
    """Held by one process until ``expires_at``: while a job runs, and until it is next due."""

    name = fields.CharField(max_length=100, primary_key=True, description='Job name, e.g. "rapport.outbox_relay"')
    holder = fields.CharField(max_length=200, description="host:pid:random of the process holding it")
    expires_at = fields.DatetimeField()

    class Meta:
        table = "job_leases"
