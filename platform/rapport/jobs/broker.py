"""The job broker, built from the settings of the process that imports it.

With ``RAPPORT_REDIS_URL`` jobs go through a redis stream (acknowledged after they run, so a job a
worker was running when it died is redelivered); without it, taskiq's in-memory broker runs a kicked
job in the same process, so a laptop needs no redis and no worker.
"""

from __future__ import annotations

from taskiq import AsyncBroker, InMemoryBroker, TaskiqEvents, TaskiqState
from taskiq_redis import RedisStreamBroker
from tortoise import Tortoise

from rapport.db import tortoise_config
from rapport.settings import Settings, load_settings

QUEUE_NAME = "rapport:jobs"


def build_broker(settings: Settings) -> AsyncBroker:
    if settings.redis_url:
        broker: AsyncBroker = RedisStreamBroker(settings.redis_url, queue_name=QUEUE_NAME, consumer_group_name="rapport")
    else:
        broker = InMemoryBroker()

    async def open_database(state: TaskiqState) -> None:
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)

    async def close_database(state: TaskiqState) -> None:
        await Tortoise.close_connections()

    # Only worker processes open their own connections: an app process kicking jobs has them already.
    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, open_database)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, close_database)
    return broker


broker = build_broker(load_settings())
