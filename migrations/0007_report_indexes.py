"""Indexes the reports read: a covering index of tickets by opening time for the ticket reports by
department, and partial indexes of deleted customers (the reports' anti-join) and of live customers by
department, segment, tier and owner (snapshot reports, the customer side of the others).

The partial index statements are the same on SQLite and PostgreSQL; they are copied from
rapport.partial_indexes (a migration must not change when that module does).
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

INDEXES = {
    "idx_customers_deleted": "CREATE INDEX idx_customers_deleted ON customers (id) WHERE deleted_at IS NOT NULL",
    "idx_customers_live_groups": (
        "CREATE INDEX idx_customers_live_groups ON customers (department_id, segment, tier, owner_id, id) "
        "WHERE deleted_at IS NULL"
    ),
}


class Migration(migrations.Migration):
    dependencies = [('rapport', '0006_job_leases')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Ticket',
            index=Index(fields=['created_at', 'department_id', 'customer_id', 'resolved_at', 'resolution_due_at', 'satisfaction']),
        ),
        *(ops.RunSQL(sql, reverse_sql=f"DROP INDEX {name}") for name, sql in INDEXES.items()),
    ]
