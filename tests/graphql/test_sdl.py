"""The published SDL in schema/schema.graphql is the code's schema (no stale file can be committed)."""

from __future__ import annotations

from pathlib import Path

from rapport.graphql.sdl import export_sdl

PUBLISHED = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_published_sdl_is_up_to_date() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == export_sdl(), (
        "schema/schema.graphql is stale: run `rapport export-schema -o schema/schema.graphql` and commit the diff"
    )
