"""Domain events: written to the transactional outbox with the change, delivered after commit."""
