"""A server's start-up work is kept out of the garbage collector's full collections while it serves,
and given back when it stops (a process may start another app)."""

from __future__ import annotations

import gc

from rapport.app import create_app


async def test_start_up_objects_are_frozen_while_serving_and_thawed_after(db, settings) -> None:
    app = create_app(settings.model_copy(update={"jobs_in_process": False}), manage_database=False)
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
        assert frozen > 10_000, frozen  # the schema, the policy, plugins...
    assert gc.get_freeze_count() == 0
