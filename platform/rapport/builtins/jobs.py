"""The core's periodic jobs (plugin ``rapport.jobs``): the outbox relay, nightly re-classification and
the purge of long-delivered events."""

from __future__ import annotations

from datetime import timedelta

from rapport import hookimpl
from rapport.plugin_api import PeriodicJob
from rapport.settings import Settings

RELAY = "rapport.outbox_relay"
RECLASSIFY = "rapport.reclassify_customers"
PURGE = "rapport.purge_delivered_events"


async def _relay() -> None:
    from rapport.events.relay import relay_pass

    await relay_pass()


async def _reclassify() -> None:
    from rapport.classification.batch import classify_all

    await classify_all()


async def _purge() -> None:
    from rapport.events.relay import purge_delivered

    await purge_delivered()


@hookimpl
def periodic_jobs(settings: Settings) -> list[PeriodicJob]:
    return [
        PeriodicJob(RELAY, timedelta(seconds=settings.relay_interval), _relay),
        PeriodicJob(RECLASSIFY, timedelta(days=1), _reclassify),
        PeriodicJob(PURGE, timedelta(days=1), _purge),
    ]
