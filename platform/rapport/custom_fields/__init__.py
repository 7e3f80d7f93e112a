"""Typed custom fields declared by plugins: catalog, values, SQL (filters, sorting, indexes), GraphQL types."""
