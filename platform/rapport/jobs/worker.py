"""``rapport worker``: a taskiq worker process consuming Rapport's job queue."""

from __future__ import annotations

from taskiq.cli.worker.args import WorkerArgs
from taskiq.cli.worker.run import run_worker

from rapport.jobs.schedule import JOB_MODULES
from rapport.settings import Settings


class WorkerNeedsRedis(Exception):
    pass


def run(settings: Settings, processes: int = 1) -> int:
    if not settings.redis_url:
        raise WorkerNeedsRedis(
            "rapport worker needs RAPPORT_REDIS_URL: without redis, jobs run inside the process that kicks them"
        )
    args = WorkerArgs(
        broker="rapport.jobs.broker:broker",
        modules=list(JOB_MODULES),
        workers=processes,
        log_level=settings.log_level.upper(),  # type: ignore[arg-type]
        shutdown_timeout=settings.shutdown_timeout + 5,
        wait_tasks_timeout=settings.shutdown_timeout,
    )
    return run_worker(args) or 0
