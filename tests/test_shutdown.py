"""Graceful shutdown of ``rapport serve``: on SIGTERM, requests in flight finish, new connections are
refused, the process exits in time, and every change it acknowledged is in the database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from tortoise.transactions import in_transaction

from rapport.graphql.core.ids import to_global_id
from rapport.models import Customer, Department, Ticket
from tests.conftest import TEST_REDIS_URL
from tests.support.graphql import gql
from tests.support.live import free_port
from tests.support.personas import cast

pytestmark = pytest.mark.slow
OPEN = "mutation($input: OpenTicketInput!) { openTicket(input: $input) { ticket { number } errors { code } } }"


async def test_sigterm_finishes_in_flight_requests_and_loses_nothing_acknowledged(db, settings, database_url, tmp_path) -> None:
    people = await cast(settings)
    ann = await Customer.create(name="Ann", department=await Department.get(code="sales"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_SECRET_KEY": settings.signing_key, "RAPPORT_SHUTDOWN_TIMEOUT": "20",
            "RAPPORT_LOG_LEVEL": "warning", "RAPPORT_REDIS_NAMESPACE": settings.redis_namespace,
            **({"RAPPORT_REDIS_URL": TEST_REDIS_URL} if TEST_REDIS_URL else {})}
    server = subprocess.Popen([sys.executable, "-m", "rapport.cli", "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
            assert server.poll() is None, server.communicate()[0].decode(errors="replace")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            variables = {"input": {"customer": to_global_id("Customer", ann.id), "subject": "Printer broken"}}
            assert (await gql(http, OPEN, people["lead"].headers, **variables)).status_code == 200  # the counter row exists
            # Hold the ticket-number counter: the requests below are certainly in flight (waiting for it)
            # when SIGTERM arrives, and can only finish after it.
            async with in_transaction() as conn:
                await conn.execute_query("UPDATE counters SET value = value WHERE name = 'ticket_number'")
                in_flight = [asyncio.create_task(gql(http, OPEN, people["lead"].headers, **variables)) for _ in range(10)]
                await asyncio.sleep(0.5)
                server.send_signal(signal.SIGTERM)
                began = time.monotonic()
                await asyncio.sleep(0.5)
            results = await asyncio.gather(*in_flight, return_exceptions=True)
        await asyncio.sleep(0.5)
        with pytest.raises(httpx.TransportError):  # no new work once the shutdown began
            async with httpx.AsyncClient(base_url=base, timeout=2) as late:
                await late.get("/healthz")
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.communicate()
    # uvicorn re-raises the signal once it has shut down gracefully, so supervisors see how it ended.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert time.monotonic() - began < 25
    acknowledged = [r.json()["data"]["openTicket"]["ticket"]["number"] for r in results
                    if isinstance(r, httpx.Response) and r.status_code == 200]
    assert len(acknowledged) == 10, results  # every request in flight at SIGTERM was answered
    stored = set(await Ticket.all().values_list("number", flat=True))
    assert set(acknowledged) <= stored  # every acknowledged change was committed
