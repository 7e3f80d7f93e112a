"""Partial indexes: live-customer dedupe on email/phone, the ticket work queue, pending outbox events.

The statements are the same on SQLite and PostgreSQL. They are copied here from
rapport.partial_indexes (a migration must not change when that module does).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEXES = {
    "uq_customers_email_live": (
        "CREATE UNIQUE INDEX uq_customers_email_live ON customers (email) "
        "WHERE deleted_at IS NULL AND email IS NOT NULL"
    ),
    "uq_customers_phone_live": (
        "CREATE UNIQUE INDEX uq_customers_phone_live ON customers (phone) "
        "WHERE deleted_at IS NULL AND phone IS NOT NULL"
    ),
    "idx_tickets_queue": (
        "CREATE INDEX idx_tickets_queue ON tickets (department_id, resolution_due_at, id) "
        "WHERE status IN ('new', 'open')"
    ),
    "idx_outbox_pending": (
        "CREATE INDEX idx_outbox_pending ON outbox_events (available_at, id) WHERE delivered_at IS NULL"
    ),
}


class Migration(migrations.Migration):
    dependencies = [("rapport", "0001_initial")]

    operations = [
        ops.RunSQL(sql, reverse_sql=f"DROP INDEX {name}") for name, sql in INDEXES.items()
    ]
