"""SLA warning times on tickets, and partial indexes for the SLA sweep (open targets by due time).

The index statements are the same on SQLite and PostgreSQL; they are copied from
rapport.partial_indexes (a migration must not change when that module does).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# Literal IS NULL tests, not the status list: a prepared statement's generic plan can still prove them.
OPEN_TARGETS = "resolved_at IS NULL AND closed_at IS NULL"
INDEXES = {
    "idx_tickets_sla_first_response": (
        "CREATE INDEX idx_tickets_sla_first_response ON tickets (first_response_due_at) "
        f"WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL AND {OPEN_TARGETS}"
    ),
    "idx_tickets_sla_resolution": (
        "CREATE INDEX idx_tickets_sla_resolution ON tickets (resolution_due_at) "
        f"WHERE resolution_breached_at IS NULL AND {OPEN_TARGETS}"
    ),
    "idx_tickets_sla_first_response_warn": (
        "CREATE INDEX idx_tickets_sla_first_response_warn ON tickets (first_response_warn_at) "
        f"WHERE first_response_warned_at IS NULL AND first_responded_at IS NULL AND {OPEN_TARGETS}"
    ),
    "idx_tickets_sla_resolution_warn": (
        "CREATE INDEX idx_tickets_sla_resolution_warn ON tickets (resolution_warn_at) "
        f"WHERE resolution_warned_at IS NULL AND {OPEN_TARGETS}"
    ),
}


class Migration(migrations.Migration):
    dependencies = [('rapport', '0004_segment_history_deliveries_sla_state')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Ticket',
            name='first_response_warn_at',
            field=fields.DatetimeField(null=True, description='When ticket.sla_warning is due (a share of the target)', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='resolution_warn_at',
            field=fields.DatetimeField(null=True, description='When ticket.sla_warning is due (a share of the target)', auto_now=False, auto_now_add=False),
        ),
        *(ops.RunSQL(sql, reverse_sql=f"DROP INDEX {name}") for name, sql in INDEXES.items()),
    ]
