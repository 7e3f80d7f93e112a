"""The published SDL: what ``rapport export-schema`` prints and ``schema/schema.graphql`` holds."""

from __future__ import annotations

from rapport.graphql.schema import build_schema


def export_sdl() -> str:
    return build_schema().as_str().rstrip("\n") + "\n"
