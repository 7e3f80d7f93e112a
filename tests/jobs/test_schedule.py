"""The periodic scheduler: one run per interval across schedulers, jobs registered by others, the SLA
sweep within seconds in-process, and a bounded, graceful stop."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from rapport.jobs.schedule import Scheduler, load_jobs, make_due, register, registered, unregister
from rapport.models import Customer, Department, JobLease, Ticket, TicketActivity
from rapport.runtime import start_runtime
from rapport.services import tickets as service
from tests.services.test_tickets import open_one, plan_of
from tests.support.personas import cast


@pytest.fixture
def jobs():
    names: list[str] = []

    def add(name: str, seconds: float, function) -> object:
        names.append(name)
        return register(name, seconds, function)

    yield add
    for name in names:
        unregister(name)


async def test_the_core_and_plugin_jobs_are_registered() -> None:
    names = {job.name for job in load_jobs()}
    assert {"rapport.sla_sweep", "rapport.purge_idempotency_hourly", "rapport.outbox_relay"} <= names
    assert next(j for j in registered() if j.name == "rapport.sla_sweep").seconds <= 5


async def test_each_interval_runs_once_across_schedulers(db, jobs) -> None:
    runs: list[str] = []

    async def count() -> None:
        runs.append("x")

    job = jobs("test.count", 60, count)
    first, second = Scheduler(jobs=lambda: [job]), Scheduler(jobs=lambda: [job])
    started = await asyncio.gather(first.run_due(), second.run_due())
    assert sorted(len(s) for s in started) == [0, 1]  # one of the two claimed the run
    await asyncio.gather(*first.running.values(), *second.running.values())
    assert runs == ["x"]
    lease = await JobLease.get(name="test.count")
    assert lease.expires_at > datetime.now(UTC) + timedelta(seconds=50)  # held until next due
    await make_due(job)
    third = Scheduler(jobs=lambda: [job])
    assert await third.run_due() == ["test.count"]
    await asyncio.gather(*third.running.values())
    assert runs == ["x", "x"]


async def test_a_job_registered_by_anyone_runs_every_few_seconds(db, jobs) -> None:
    runs: list[float] = []

    async def tick() -> None:
        runs.append(time.monotonic())

    async def broken() -> None:
        raise RuntimeError("a failing job does not stop the others")

    good, bad = jobs("test.tick", 1, tick), jobs("test.broken", 1, broken)
    scheduler = Scheduler(tick=0.1, jobs=lambda: [bad, good])
    scheduler.start()
    await asyncio.sleep(3.5)
    await scheduler.stop()
    assert 3 <= len(runs) <= 5
    assert all(0.8 <= b - a <= 1.6 for a, b in zip(runs, runs[1:]))


async def test_stop_lets_a_running_job_finish_within_the_timeout(db, jobs) -> None:
    finished: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.5)
        finished.append("slow")

    async def stuck() -> None:
        await asyncio.sleep(60)
        finished.append("stuck")

    slow_job, stuck_job = jobs("test.slow", 60, slow), jobs("test.stuck", 60, stuck)
    scheduler = Scheduler(tick=0.05, jobs=lambda: [slow_job])
    scheduler.start()
    await asyncio.sleep(0.2)
    began = time.monotonic()
    await scheduler.stop(timeout=5)
    assert finished == ["slow"] and time.monotonic() - began < 2
    scheduler = Scheduler(tick=0.05, jobs=lambda: [stuck_job])
    scheduler.start()
    await asyncio.sleep(0.2)
    began = time.monotonic()
    await scheduler.stop(timeout=0.3)  # bounded: a job that does not finish in time is cancelled
    assert finished == ["slow"] and time.monotonic() - began < 2
    assert (await JobLease.get(name="test.stuck")).expires_at > datetime.now(UTC)  # not run again before due


async def test_the_embedded_runtime_sweeps_slas_within_seconds(db, settings, monkeypatch) -> None:
    people = await cast(settings)
    customer = await Customer.create(name="Ann", department=await Department.get(code="sales"))
    monkeypatch.setattr(service, "_now", lambda: datetime.now(UTC) - timedelta(hours=2))
    ticket = await open_one(await plan_of(people["sales"].agent), customer, settings, priority="urgent")
    monkeypatch.undo()
    embedded = settings.model_copy(update={"scheduler_tick": 0.2})
    runtime = await start_runtime(embedded, jobs=True)
    try:
        for _ in range(50):
            if (await Ticket.get(id=ticket.id)).first_response_breached_at is not None:
                break
            await asyncio.sleep(0.1)
    finally:
        await runtime.stop()
    assert (await Ticket.get(id=ticket.id)).first_response_breached_at is not None
    assert await TicketActivity.filter(ticket_id=ticket.id, kind="sla_breached").count() == 1
