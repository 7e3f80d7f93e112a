"""Shared GraphQL building blocks: ids, typed errors, filters, keyset pagination."""
