"""What a ``rapport worker`` process opens when it starts and closes when it stops.

Start: the database, the service configuration, the live bus (so changes made by jobs reach the
subscribers of every server), the registered periodic jobs and the scheduler that kicks them onto the
queue. Stop (SIGTERM): taskiq first stops taking messages and lets running jobs finish
(``--wait-tasks-timeout``); then the scheduler stops claiming, and the connections close. A message
taken but not finished is not acknowledged: the redis stream hands it to a worker again.
"""

from __future__ import annotations

import os

from taskiq import AsyncBroker, TaskiqEvents, TaskiqState
from tortoise import Tortoise

from rapport.db import tortoise_config
from rapport.settings import Settings

SCHEDULER_STATE = "rapport_scheduler"
PLUGINS_STATE = "rapport_plugins"


def install(broker: AsyncBroker, settings: Settings) -> None:
    """Register the worker start/stop handlers on ``broker`` (they run in worker processes only)."""
    # Who this worker process's parent is: the process that imported the broker, if it forked this one
    # afterwards; else (imported here, after the fork) the process's parent at import time.
    imported_in, imported_under = os.getpid(), os.getppid()

    async def started(state: TaskiqState) -> None:
        from rapport.events import bus
        from rapport.jobs.orphans import die_with_parent

        die_with_parent(imported_under if os.getpid() == imported_in else imported_in)
        from rapport.jobs.schedule import Scheduler, load_jobs
        from rapport.services.service_config import configure

        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        await _start_plugins(state)
        configure(settings.service_config)
        await bus.start(settings.redis_url, settings.redis_namespace)
        load_jobs()
        scheduler = Scheduler("queue", tick=settings.scheduler_tick)
        scheduler.start()
        setattr(state, SCHEDULER_STATE, scheduler)

    async def stopping(state: TaskiqState) -> None:
        from rapport.events import bus

        scheduler = getattr(state, SCHEDULER_STATE, None)
        if scheduler is not None:
            await scheduler.stop(timeout=settings.shutdown_timeout)
        await bus.stop()
        host = getattr(state, PLUGINS_STATE, None)
        if host is not None:
            await host.shutdown()
        await Tortoise.close_connections()

    async def _start_plugins(state: TaskiqState) -> None:
        """This process's plugins (the process's host: jobs run with it), their startup hooks."""
        from rapport.app import start_plugins
        from rapport.plugins import load_plugins, use_process_host

        host = load_plugins(settings)
        use_process_host(host)
        await start_plugins(host)
        setattr(state, PLUGINS_STATE, host)

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, started)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, stopping)
