"""Event deliveries for integration admins: what the outbox relay gave up on, and trying again."""
