"""Periodic jobs: registered once, run every few seconds by whichever process schedules.

Registering (a module listed in ``JOB_MODULES``; plugins' ``periodic_jobs`` are registered by
``load_jobs`` from the active plugin host)::

    from rapport.jobs.schedule import every

    @every(5, "rapport.sla_sweep")
    async def sla_sweep() -> None: ...

    register("myplugin.sync", 60, sync)           # the same, without a decorator

Running: a ``Scheduler`` loop looks every ``tick`` seconds (1 s by default) at which jobs are due. A run
is claimed with the job's lease in the database (``services.leases``: a conditional UPDATE, the same on
SQLite and PostgreSQL), so however many processes schedule - every ``rapport worker`` process, the
embedded server, another loop using the same leases - each job runs once per interval, and the schedule
survives restarts. What a claimed run does depends on the process:

- ``rapport serve`` without redis (embedded): the job runs right there, holding its lease while it runs;
- ``rapport worker`` (production): the job is kicked onto the taskiq queue (a redis stream, acknowledged
  after the job ran, handed to another worker if one dies) and runs on some worker, under a second
  lease (``<name>:run``) so that a slow run and the next one never overlap.

Jobs must tolerate running again after a crash: their durable state lives in the database, and they
write with guarded updates (see the SLA sweep).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import structlog
from taskiq import AsyncTaskiqDecoratedTask

from rapport.services import leases

log = structlog.get_logger("rapport.jobs")

JobFunction = Callable[[], Awaitable[Any]]
JOB_MODULES: tuple[str, ...] = ("rapport.jobs.maintenance", "rapport.jobs.sla")
MIN_INTERVAL = 0.1
RUN_LEASE = timedelta(seconds=30)  # renewed while the job runs: a process that dies frees its job within this
RENEW_EVERY = RUN_LEASE / 3
MAX_NAME = 96  # leases are named "<name>:run" in a 100-character column
_holder = leases.new_holder()


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    seconds: float
    function: JobFunction
    task: AsyncTaskiqDecoratedTask[Any, Any]

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.seconds)


_jobs: dict[str, ScheduledJob] = {}


def register(name: str, seconds: float, function: JobFunction) -> ScheduledJob:
    """Run ``function`` (an ``async def`` without arguments) every ``seconds``; return the registration.

    Registering a name again replaces the job (a module reloaded); the taskiq task is named ``name``."""
    from rapport.jobs.broker import broker

    if seconds < MIN_INTERVAL:
        raise ValueError(f"job {name}: run at most every {MIN_INTERVAL} s (got every {seconds} s)")
    if len(name) > MAX_NAME:
        raise ValueError(f"job {name}: the name is too long (at most {MAX_NAME} characters)")
    task = broker.register_task(_exclusive(name, function), task_name=name)
    job = ScheduledJob(name, float(seconds), function, task)
    _jobs[name] = job
    return job


def every(seconds: float, name: str | None = None) -> Callable[[JobFunction], JobFunction]:
    """Decorator form of ``register``: ``@every(5, "rapport.sla_sweep")``."""

    def decorate(function: JobFunction) -> JobFunction:
        register(name or f"{function.__module__}.{function.__qualname__}", seconds, function)
        return function

    return decorate


def registered() -> list[ScheduledJob]:
    return list(_jobs.values())


def unregister(name: str) -> None:
    _jobs.pop(name, None)


def load_jobs(modules: Iterable[str] = JOB_MODULES) -> list[ScheduledJob]:
    """Import the modules that register jobs, then register the active plugins' ``periodic_jobs``."""
    for module in modules:
        importlib.import_module(module)
    _load_plugin_jobs()
    return registered()


def _load_plugin_jobs() -> None:
    """Plugins' ``periodic_jobs`` (the outbox relay and re-classification are built-in plugins), each run
    with its plugin host active."""
    try:
        from rapport import plugins
    except ImportError:  # the plugin platform is optional for this module
        return
    host = plugins.active()
    for _, job in host.periodic_jobs:
        register(job.name, job.every.total_seconds(), _within(plugins, host, job.run))


def _within(plugins: Any, host: Any, run: JobFunction) -> JobFunction:
    async def job() -> Any:
        with plugins.activated(host):
            return await run()

    job.__qualname__ = getattr(run, "__qualname__", "plugin_job")
    return job


def _exclusive(name: str, function: JobFunction) -> JobFunction:
    """The queued form of a job: it runs only if no other run of it is under way anywhere."""

    async def run_once_at_a_time() -> Any:
        lease = f"{name}:run"
        if not await leases.take(lease, _holder, RUN_LEASE):
            log.info("job still running elsewhere: this run is skipped", job=name)
            return None
        try:
            async with holding(lease, _holder):
                return await function()
        finally:
            await leases.release(lease, _holder)

    run_once_at_a_time.__qualname__ = f"{name}:exclusive"
    return run_once_at_a_time


@contextlib.asynccontextmanager
async def holding(lease: str, holder: str) -> AsyncIterator[None]:
    """Keep renewing ``lease`` (taken by ``holder``) while the block runs."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY.total_seconds())
            with contextlib.suppress(Exception):  # the database away for a moment: the next renewal may work
                await leases.take(lease, holder, RUN_LEASE, reentrant=True)

    renewer = asyncio.create_task(renew(), name=f"lease:{lease}")
    try:
        yield
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer


# --- the loop ----------------------------------------------------------------------------------------------

Mode = Literal["in_process", "queue"]


async def make_due(job: ScheduledJob) -> None:
    """Let ``job`` run at the next tick of any scheduler (tests, or an operator who wants a run now)."""
    from rapport.models import JobLease

    await JobLease.filter(name=job.name).update(expires_at=datetime.now(UTC))


async def _seconds_left(name: str) -> float:
    from rapport.models import JobLease

    expires = await JobLease.filter(name=name).first().values_list("expires_at", flat=True)
    left = (expires - datetime.now(UTC)).total_seconds() if expires is not None else 0.0
    return min(max(left, 0.05), RUN_LEASE.total_seconds())


class Scheduler:
    """Claims due jobs every ``tick`` seconds and runs them here (``in_process``) or kicks them (``queue``)."""

    def __init__(
        self, mode: Mode = "in_process", tick: float = 1.0, jobs: Callable[[], list[ScheduledJob]] = registered,
        holder: str | None = None,
    ) -> None:
        self.mode = mode
        self.tick = tick
        self.jobs = jobs
        self.holder = holder or leases.new_holder()
        self.running: dict[str, asyncio.Task[None]] = {}
        self._next: dict[str, float] = {}  # monotonic time of this process's next look at each job
        self._loop: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.runs = 0

    def start(self) -> None:
        self._stopping.clear()
        self._loop = asyncio.create_task(self._forever(), name="rapport-scheduler")

    async def _forever(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_due()
            except Exception:  # the database was away for a moment: try again next tick
                log.exception("scheduler: checking due jobs failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.tick)

    async def run_due(self) -> list[str]:
        """Claim and start every due job that is not still running here; return their names."""
        started = []
        for job in self.jobs():
            if self._stopping.is_set():
                break
            previous = self.running.get(job.name)
            if previous is not None and not previous.done():
                continue  # still busy with the last run: this interval is skipped, not queued up
            now = time.monotonic()
            if self._next.get(job.name, now) > now:
                continue
            hold = RUN_LEASE if self.mode == "in_process" else job.interval
            if await leases.take(job.name, self.holder, hold):
                self._next[job.name] = time.monotonic() + job.seconds
                self.running[job.name] = asyncio.create_task(self._run(job), name=f"job:{job.name}")
                started.append(job.name)
            else:  # held elsewhere: look again when that lease ends, not every tick
                self._next[job.name] = time.monotonic() + await _seconds_left(job.name)
        return started

    async def _run(self, job: ScheduledJob) -> None:
        try:
            if self.mode == "queue":
                await job.task.kiq()
            else:
                try:
                    async with holding(job.name, self.holder):
                        await job.function()
                finally:  # held until next due, so no process runs it again before then
                    await leases.hold_until(job.name, self.holder, datetime.now(UTC) + job.interval)
                    self._next[job.name] = time.monotonic() + job.seconds
            self.runs += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduled job failed", job=job.name)

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; let running jobs finish for up to ``timeout`` seconds, then cancel them."""
        self._stopping.set()
        if self._loop is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        pending = [task for task in self.running.values() if not task.done()]
        if pending:
            done, still = await asyncio.wait(pending, timeout=timeout)
            for task in still:
                log.warning("scheduler: job did not finish in time, cancelled", job=task.get_name())
                task.cancel()
            if still:
                await asyncio.gather(*still, return_exceptions=True)
        self.running.clear()
