"""GraphQL API of the standard reports."""
