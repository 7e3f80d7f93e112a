"""The GraphQL API: schema assembly, request context, and one folder per domain."""
