"""Cross-process fan-out: subscribers of two server processes both receive an event published by either
(redis pub/sub; the embedded mode is one process by design, so this runs on the real leg)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from rapport.models import Customer, Department
from tests.conftest import TEST_REDIS_URL
from tests.graphql.test_subscriptions import TICKETS, open_ticket, token_of
from tests.support.live import free_port, graphql_socket
from tests.support.personas import cast

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(db, settings, database_url) -> Iterator[list[str]]:
    if not TEST_REDIS_URL:
        pytest.skip("real leg only: fan-out across processes goes through redis (RAPPORT_TEST_REDIS_URL unset)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_REDIS_URL": TEST_REDIS_URL,
            "RAPPORT_SECRET_KEY": settings.signing_key, "RAPPORT_JOBS_IN_PROCESS": "false",
            "RAPPORT_REDIS_NAMESPACE": settings.redis_namespace}
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen([sys.executable, "-m", "uvicorn", "rapport.app:app_factory", "--factory", "--port", str(port),
                          "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            for _ in range(150):
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise AssertionError(process.communicate()[0].decode(errors="replace"))
                time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def test_subscribers_of_two_processes_receive_events_published_by_either(servers, settings) -> None:
    people = await cast(settings)
    ann = await Customer.create(name="Ann", department=await Department.get(code="sales"))
    first, second = servers
    async with graphql_socket(first) as one, graphql_socket(second) as two:
        for ws in (one, two):
            assert (await ws.init({"Authorization": token_of(people["lead"])}))["type"] == "connection_ack"
            await ws.subscribe(TICKETS)
        await asyncio.sleep(1.0)  # the subscriptions start in the server processes
        via_first = await open_ticket(first, people["lead"], ann)
        via_second = await open_ticket(second, people["lead"], ann)
        for ws in (one, two):
            numbers = [(await ws.next(timeout=10))["payload"]["data"]["ticketChanged"]["number"] for _ in range(2)]
            assert numbers == [via_first["number"], via_second["number"]]
