"""Interactions: types, filters, queries, inputs, mutations and loaders."""
