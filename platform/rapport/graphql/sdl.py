"""The published SDL: what ``rapport export-schema`` prints and ``schema/schema.graphql`` holds (the core
schema: built-in plugins only). ``rapport export-schema --with-plugins`` prints an installation's schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapport.graphql.schema import build_schema

if TYPE_CHECKING:
    from rapport.plugin_host import PluginHost


def export_sdl(plugins: PluginHost | None = None) -> str:
    return build_schema(plugins=plugins).as_str().rstrip("\n") + "\n"
