"""Authentication: who is calling (JWT bearer tokens for agents, API keys for machines)."""
