"""Tickets: types, filters, queries, mutations and loaders."""
