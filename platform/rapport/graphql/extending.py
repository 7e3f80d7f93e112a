"""What an app's plugins add to the schema: root fields (``graphql_extensions``), the generated custom
field types (``customFields``), and extra types. Applied per schema, never to the shared classes."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass, field
from typing import Any

import strawberry

from rapport.plugin_host import PluginHost

CORE_SCALARS: tuple[Any, ...] = (datetime.date, decimal.Decimal)  # the contract's Date and Decimal, typed custom fields use them


@dataclass
class SchemaParts:
    query: type
    mutation: type
    subscription: type
    types: list[Any] = field(default_factory=list)
    extra_fields: dict[str, list[Any]] = field(default_factory=dict)


def core_plugins() -> PluginHost:
    """The core's own plugins (built-ins only): what the published SDL is built from."""
    from rapport.plugins import load_plugins
    from rapport.settings import Settings

    return load_plugins(Settings(plugins=""), entry_points=False)


def _extended(base: type, mixins: list[type], name: str) -> type:
    if not mixins:
        return base
    # The plugins' mixins first: a root field a plugin redefines cannot shadow a core one silently.
    combined = type(name, (*mixins, base), {})
    clashes = {f.name for m in mixins for f in m.__strawberry_definition__.fields} & {f.name for f in base.__strawberry_definition__.fields}
    if clashes:
        raise ValueError(f"plugins redefine core root fields of {name}: {', '.join(sorted(clashes))}")
    return strawberry.type(combined, name=name)


def plugin_parts(plugins: PluginHost | None, query: type, mutation: type, subscription: type) -> SchemaParts:
    from rapport.custom_fields.graphql import extra_fields

    host = plugins if plugins is not None else core_plugins()
    extensions = [ext for _, ext in host.graphql_extensions]
    return SchemaParts(
        query=_extended(query, [m for ext in extensions for m in ext.query], "Query"),
        mutation=_extended(mutation, [m for ext in extensions for m in ext.mutation], "Mutation"),
        subscription=_extended(subscription, [m for ext in extensions for m in ext.subscription], "Subscription"),
        types=[*CORE_SCALARS, *(t for ext in extensions for t in ext.types)],
        extra_fields=extra_fields(host.fields),
    )
