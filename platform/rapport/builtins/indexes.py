"""Expression indexes of indexed custom fields (plugin ``rapport.indexes``): made at startup, idempotent.

A startup step rather than a migration: the fields come from whichever plugins a deployment installs,
so migrations (the same files everywhere) cannot name them. ``rapport migrate`` runs the same step.
An index of a field whose plugin was removed stays until dropped by hand (``rapport plugins`` lists
the expected ones).
"""

from __future__ import annotations

from tortoise import connections

from rapport import hookimpl
from rapport.settings import Settings


@hookimpl
async def startup(settings: Settings) -> None:
    from rapport.custom_fields.sql import ensure_indexes
    from rapport.plugins import active

    await ensure_indexes(active().fields, connections.get("default"))
