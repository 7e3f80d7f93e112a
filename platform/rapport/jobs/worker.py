"""``rapport worker``: a taskiq worker process consuming Rapport's job queue."""

from __future__ import annotations

from taskiq.cli.worker.args import WorkerArgs
from taskiq.cli.worker.run import run_worker

from rapport.settings import Settings

JOB_MODULES = ["rapport.jobs.maintenance"]


class WorkerNeedsRedis(Exception):
    pass


def run(settings: Settings, processes: int = 1) -> int:
    if not settings.redis_url:
        raise WorkerNeedsRedis(
            "rapport worker needs RAPPORT_REDIS_URL: without redis, jobs run inside the process that kicks them"
        )
    args = WorkerArgs(
        broker="rapport.jobs.broker:broker",
        modules=JOB_MODULES,
        workers=processes,
        log_level=settings.log_level.upper(),  # type: ignore[arg-type]
        shutdown_timeout=30,
        wait_tasks_timeout=30,
    )
    return run_worker(args) or 0
