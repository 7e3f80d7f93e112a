"""``rapport worker`` processes run the periodic jobs from the redis queue; a worker killed mid-way loses
nothing: the next one finishes the work, exactly once (durable state is in the database)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from rapport.models import Customer, Department, OutboxEvent, Ticket, TicketActivity
from rapport.services import tickets as service
from tests.conftest import TEST_REDIS_URL
from tests.services.test_tickets import open_one, plan_of
from tests.support.personas import cast

pytestmark = pytest.mark.slow


def start_worker(settings, database_url: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_REDIS_URL": TEST_REDIS_URL, "RAPPORT_SECRET_KEY": settings.signing_key,
            "RAPPORT_SLA_SWEEP_INTERVAL": "1", "RAPPORT_SCHEDULER_TICK": "0.2", "RAPPORT_REDIS_NAMESPACE": settings.redis_namespace}
    # A session of its own: killing the group kills the worker processes taskiq forks, as a crash would.
    return subprocess.Popen([sys.executable, "-m", "rapport.cli", "worker"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 40) -> str:
    if process.poll() is None:
        if sig == signal.SIGKILL:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.send_signal(sig)
    try:
        return process.communicate(timeout=timeout)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.communicate()[0].decode(errors="replace")


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what} within {timeout} s")


@pytest.fixture
async def overdue(db, settings, monkeypatch):
    """A factory of URGENT tickets opened two hours ago: their first response is overdue."""
    if not TEST_REDIS_URL:
        pytest.skip("real leg only (RAPPORT_TEST_REDIS_URL unset)")
    people = await cast(settings)
    customer = await Customer.create(name="Ann", department=await Department.get(code="sales"))
    plan = await plan_of(people["sales"].agent)

    async def make(count: int) -> list[Ticket]:
        monkeypatch.setattr(service, "_now", lambda: datetime.now(UTC) - timedelta(hours=2))
        try:
            return [await open_one(plan, customer, settings, priority="urgent") for _ in range(count)]
        finally:
            monkeypatch.undo()

    return make


async def breached(tickets: list[Ticket]) -> int:
    return await Ticket.filter(id__in=[t.id for t in tickets], first_response_breached_at__isnull=False).count()


async def test_a_worker_sweeps_slas_and_relays_their_events(overdue, settings, database_url) -> None:
    tickets = await overdue(3)
    worker = start_worker(settings, database_url)
    try:
        await until(lambda: _all(tickets), 30, "the worker did not stamp the breaches")
        await until(_relayed, 30, "the breach events were not relayed")
    finally:
        output = stop(worker)
    assert worker.returncode == 0, output


async def _all(tickets: list[Ticket]) -> bool:
    return await breached(tickets) == len(tickets)


async def _relayed() -> bool:
    events = OutboxEvent.filter(topic="ticket.sla_breached")
    return await events.count() > 0 and not await events.filter(delivered_at__isnull=True).exists()


async def test_a_killed_worker_loses_no_job_and_no_outbox_event(overdue, settings, database_url) -> None:
    first_batch = await overdue(6)
    first = start_worker(settings, database_url)
    try:
        await until(lambda: _some(first_batch), 40, "the first worker did not start sweeping")
    finally:
        stop(first, signal.SIGKILL)  # no goodbye: leases, unacknowledged messages and all are left behind
    assert first.returncode == -signal.SIGKILL
    second_batch = await overdue(3)  # work that arrives while no worker runs
    second = start_worker(settings, database_url)
    try:
        everything = first_batch + second_batch
        await until(lambda: _all(everything), 60, "the second worker did not finish the sweep")
        await until(_relayed, 60, "the second worker did not relay every event")
    finally:
        output = stop(second)
    assert second.returncode == 0, output
    for ticket in everything:  # exactly once, although the first worker died in the middle
        assert await TicketActivity.filter(ticket_id=ticket.id, kind="sla_breached").count() == 1
        assert await OutboxEvent.filter(topic="ticket.sla_breached", entity_id=str(ticket.id)).count() == 1
        assert await TicketActivity.filter(ticket_id=ticket.id, kind="escalated").count() == 1


async def _some(tickets: list[Ticket]) -> bool:
    return await breached(tickets) > 0


async def test_sigterm_stops_a_worker_gracefully(overdue, settings, database_url) -> None:
    worker = start_worker(settings, database_url)
    await asyncio.sleep(4)
    began = time.monotonic()
    output = stop(worker)
    assert worker.returncode == 0, output
    assert time.monotonic() - began < settings.shutdown_timeout


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except FileNotFoundError:
        return []


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
async def test_worker_processes_stop_when_their_parent_is_killed(overdue, settings, database_url) -> None:
    worker = start_worker(settings, database_url)
    try:
        for _ in range(200):
            if _children(worker.pid):
                break
            await asyncio.sleep(0.1)
        children = _children(worker.pid)
        assert children, "the worker forked no worker process"
        await asyncio.sleep(2)  # the worker processes have started (their startup asks for the parent-death signal)
        worker.send_signal(signal.SIGKILL)  # the parent alone, as the OOM killer would
        worker.wait(timeout=10)
        deadline = time.monotonic() + settings.shutdown_timeout + 15
        while _group_alive(worker.pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert not _group_alive(worker.pid), f"worker processes {children} outlived their parent"
    finally:
        if _group_alive(worker.pid):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=10)
