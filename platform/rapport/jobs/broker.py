"""The job broker, built from the settings of the process that imports it.

With ``RAPPORT_REDIS_URL`` jobs go through a redis stream (acknowledged after they run, so a job a
worker was running when it died is redelivered); without it, taskiq's in-memory broker runs a kicked
job in the same process, so a laptop needs no redis and no worker.
"""

from __future__ import annotations

from taskiq import AsyncBroker, InMemoryBroker
from taskiq_redis import RedisStreamBroker

from rapport.jobs.lifecycle import install
from rapport.settings import Settings, load_settings

QUEUE_NAME = "jobs"  # the stream is "<RAPPORT_REDIS_NAMESPACE>:jobs"
IDLE_MS = 60_000
STREAM_MAXLEN = 100_000


def build_broker(settings: Settings) -> AsyncBroker:
    if settings.redis_url:
        # A message taken by a worker that died unacknowledged goes to another one after IDLE_MS.
        broker: AsyncBroker = RedisStreamBroker(
            settings.redis_url, queue_name=f"{settings.redis_namespace}:{QUEUE_NAME}", consumer_group_name="rapport",
            idle_timeout=IDLE_MS,
            unacknowledged_lock_timeout=30, maxlen=STREAM_MAXLEN,
        )
        # Only worker processes open their own connections and run the scheduler (an app process that
        # kicks jobs has its connections already). The in-memory broker fires the worker events in the
        # process that owns it: there the application does all of this itself.
        install(broker, settings)
    else:
        broker = InMemoryBroker()
    return broker


broker = build_broker(load_settings())
