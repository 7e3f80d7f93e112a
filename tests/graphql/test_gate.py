"""The one gate: every root field declares its permission, and an undeclared root field never runs."""

from __future__ import annotations

import strawberry

from rapport.graphql.gate import RequireDeclaredRootFields, declared_permission, secured
from rapport.graphql.schema import build_schema


def _root_fields(schema: strawberry.Schema):
    for root in (schema.query, schema.mutation, schema.subscription):
        if root is None:
            continue
        definition = root.__strawberry_definition__
        for field in definition.fields:
            yield f"{definition.name}.{field.python_name}", field


def test_every_root_field_of_the_schema_declares_a_permission() -> None:
    undeclared = [name for name, field in _root_fields(build_schema()) if declared_permission(field) is None]
    assert undeclared == [], f"root fields without secured(resource, action): {undeclared}"


def test_every_root_field_a_plugin_adds_declares_a_permission_too() -> None:
    """With every installed plugin (CI installs the bundled ones) plus the test plugins."""
    from rapport.plugins import load_plugins
    from rapport.settings import Settings
    from tests.plugins import loyalty

    installed = load_plugins(Settings(plugins=None))
    test_only = load_plugins(Settings(plugins=""), extra=[loyalty])  # shares field names with a bundled plugin
    for host in (installed, test_only):
        schema = build_schema(plugins=host)
        undeclared = [name for name, field in _root_fields(schema) if declared_permission(field) is None]
        assert undeclared == [], f"plugin root fields without secured(resource, action): {undeclared}"


def test_declared_permissions_use_known_resources_and_actions() -> None:
    from rapport.authz.model import ACTIONS, RESOURCES

    for name, field in _root_fields(build_schema()):
        resource, action = declared_permission(field)
        assert action in ACTIONS, (name, action)
        assert resource == "public" or resource in RESOURCES, (name, resource)


async def test_an_undeclared_root_field_is_refused_before_it_runs() -> None:
    ran = []

    @strawberry.type
    class Query:
        @strawberry.field(extensions=[secured("public", "read")])
        async def fine(self) -> int:
            return 1

        @strawberry.field
        def leaky(self) -> int:
            ran.append(True)
            return 2

    schema = strawberry.Schema(query=Query, extensions=[RequireDeclaredRootFields])
    for query in ("{ leaky }", "{ ... on Query { leaky } }", "{ ...F } fragment F on Query { leaky }"):
        result = await schema.execute(query, context_value=type("Ctx", (), {"actor": object()})())
        assert result.errors and "declares no permission" in result.errors[0].message, query
    assert ran == []
