"""Customers: types, filters, queries and mutations."""
