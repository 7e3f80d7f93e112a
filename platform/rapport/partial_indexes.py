"""Partial indexes that tortoise's model Meta cannot express portably.

tortoise's ``UniqueConstraint(condition=...)`` is PostgreSQL-only, yet SQLite and PostgreSQL both accept
``CREATE [UNIQUE] INDEX ... WHERE ...`` with the same text. Migrations create these with ``RunSQL``
(copying the statements, since a migration must not change when this module does); the schema test
checks that every database has exactly the model indexes plus these.
"""

PARTIAL_INDEXES: dict[str, str] = {
    # Data-entry standard: no two live customers share a normalized email or phone.
    "uq_customers_email_live": (
        "CREATE UNIQUE INDEX uq_customers_email_live ON customers (email) "
        "WHERE deleted_at IS NULL AND email IS NOT NULL"
    ),
    "uq_customers_phone_live": (
        "CREATE UNIQUE INDEX uq_customers_phone_live ON customers (phone) "
        "WHERE deleted_at IS NULL AND phone IS NOT NULL"
    ),
    # A department's work queue, ordered by SLA due time.
    "idx_tickets_queue": (
        "CREATE INDEX idx_tickets_queue ON tickets (department_id, resolution_due_at, id) "
        "WHERE status IN ('new', 'open')"
    ),
    # The outbox relay reads only what is still to deliver.
    "idx_outbox_pending": (
        "CREATE INDEX idx_outbox_pending ON outbox_events (available_at, id) WHERE delivered_at IS NULL"
    ),
    # The SLA sweep reads only targets still open, by due (or warning) time.
    "idx_tickets_sla_first_response": (
        "CREATE INDEX idx_tickets_sla_first_response ON tickets (first_response_due_at) "
        "WHERE first_responded_at IS NULL AND first_response_breached_at IS NULL AND resolved_at IS NULL AND closed_at IS NULL"
    ),
    "idx_tickets_sla_resolution": (
        "CREATE INDEX idx_tickets_sla_resolution ON tickets (resolution_due_at) "
        "WHERE resolution_breached_at IS NULL AND resolved_at IS NULL AND closed_at IS NULL"
    ),
    "idx_tickets_sla_first_response_warn": (
        "CREATE INDEX idx_tickets_sla_first_response_warn ON tickets (first_response_warn_at) "
        "WHERE first_response_warned_at IS NULL AND first_responded_at IS NULL AND resolved_at IS NULL AND closed_at IS NULL"
    ),
    # Reports: a ticket or interaction counts only while its customer is live; the few deleted customers
    # are what an anti-join looks up.
    "idx_customers_deleted": (
        "CREATE INDEX idx_customers_deleted ON customers (id) WHERE deleted_at IS NOT NULL"
    ),
    # Reports over live customers (snapshots by department, segment, tier or owner; the customer side of
    # ticket and interaction reports) read this index alone.
    "idx_customers_live_groups": (
        "CREATE INDEX idx_customers_live_groups ON customers (department_id, segment, tier, owner_id, id) "
        "WHERE deleted_at IS NULL"
    ),
    "idx_tickets_sla_resolution_warn": (
        "CREATE INDEX idx_tickets_sla_resolution_warn ON tickets (resolution_warn_at) "
        "WHERE resolution_warned_at IS NULL AND resolved_at IS NULL AND closed_at IS NULL"
    ),
}
