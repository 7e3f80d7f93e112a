"""A policy change made through one server process is enforced by another within a second.

Two real ``rapport serve`` processes on the session's PostgreSQL database. With redis, the second
server's version poll is slowed to a minute, so only the redis message can bring it the change in
time; without redis (a lost message, or no notifier at all) the default poll (0.5 s) must suffice.
Real leg only: SQLite is one process's database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.support.personas import cast

pytestmark = pytest.mark.slow

CUSTOMERS = "{ customers(first: 1) { totalCount } }"
DENY = """mutation {
  addAccessRule(input: {subject: "role:agent", department: "sales", resource: "customer", action: "read", effect: DENY}) {
    version errors { code message }
  }
}"""
DEADLINE = 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{name}.log"
        self._log = self.log_path.open("wb")  # a file, not a pipe: a full pipe would stall the server
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rapport.cli", "serve", "--port", str(self.port)],
            env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        start = time.monotonic()
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() - start < timeout:
                if self.process.poll() is not None:
                    raise AssertionError(f"server {self.name} exited with {self.process.returncode}:\n{self.output()}")
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"server {self.name} not healthy within {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _env(database_url: str, secret: str, *, redis: bool, poll_interval: float | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_SECRET_KEY": secret, "RAPPORT_LOG_LEVEL": "warning"}
    if redis:
        env["RAPPORT_REDIS_URL"] = TEST_REDIS_URL
    if poll_interval is not None:
        env["RAPPORT_POLICY_POLL_INTERVAL"] = str(poll_interval)
    return env


@contextmanager
def two_servers(env_a: dict[str, str], env_b: dict[str, str], log_dir: Path) -> Iterator[tuple[Server, Server]]:
    servers: list[Server] = []
    try:
        servers.append(Server("A", env_a, log_dir))
        servers.append(Server("B", env_b, log_dir))
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


async def _post(client: httpx.AsyncClient, server: Server, query: str, headers: dict[str, str]) -> dict:
    response = await client.post(f"{server.url}/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _forbidden(body: dict) -> bool:
    return any(e.get("extensions", {}).get("code") == "FORBIDDEN" for e in body.get("errors", []))


async def _measure(a: Server, b: Server, people) -> float:
    """Add a deny through A; return the seconds from A's answer until B refuses the sales agent."""
    await asyncio.gather(a.wait_healthy(), b.wait_healthy())
    sales, security = people["sales"].headers, people["security"].headers
    async with httpx.AsyncClient(timeout=5.0) as client:
        for server in (a, b):  # both have built the policy and the sales agent's plan
            body = await _post(client, server, CUSTOMERS, sales)
            assert "errors" not in body and body["data"]["customers"]["totalCount"] == 0, (server.name, body)
        added = await _post(client, a, DENY, security)
        answered = time.monotonic()
        assert added["data"]["addAccessRule"]["errors"] == [], added
        while True:
            body = await _post(client, b, CUSTOMERS, sales)
            if _forbidden(body):
                latency = time.monotonic() - answered
                break
            assert "errors" not in body, body
            assert time.monotonic() - answered < 5.0, "B never enforced the deny"
            await asyncio.sleep(0.002)
        assert _forbidden(await _post(client, a, CUSTOMERS, sales))  # and A of course
    return latency


def _assert_clean_exit(*servers: Server) -> None:
    """Stopped by SIGTERM after a graceful shutdown (uvicorn re-raises the signal it handled: -15)."""
    for server in servers:
        output = server.output().lower()
        assert server.process.returncode in (0, -signal.SIGTERM), (server.name, server.process.returncode, output)
        assert "shutdown failed" not in output and "exception in 'lifespan'" not in output, (server.name, output)


@pytest.fixture
def real_database(database_url: str) -> str:
    if not TEST_DATABASE_URL:
        pytest.skip("real leg only (RAPPORT_TEST_DATABASE_URL unset): two servers need a shared database server")
    return database_url


async def test_a_deny_added_through_one_server_is_enforced_by_another_within_a_second(
    db, settings, real_database, tmp_path, capsys
) -> None:
    if not TEST_REDIS_URL:
        pytest.skip("real leg only (RAPPORT_TEST_REDIS_URL unset)")
    people = await cast(settings)
    secret = settings.signing_key
    # B polls only once a minute: in time only through the redis message.
    env_a = _env(real_database, secret, redis=True, poll_interval=None)
    env_b = _env(real_database, secret, redis=True, poll_interval=60)
    with two_servers(env_a, env_b, tmp_path) as (a, b):
        latency = await _measure(a, b, people)
    _assert_clean_exit(a, b)
    with capsys.disabled():
        print(f"\npolicy propagation A -> B through redis: {latency * 1000:.1f} ms")
    assert latency < DEADLINE, f"B enforced the deny {latency:.3f} s after A answered"


async def test_without_a_message_the_version_poll_enforces_it_within_a_second(
    db, settings, real_database, tmp_path, capsys
) -> None:
    # B has no redis at all: every message is "lost" for it; the default poll (0.5 s) must carry the change.
    people = await cast(settings)
    secret = settings.signing_key
    env_a = _env(real_database, secret, redis=bool(TEST_REDIS_URL), poll_interval=None)
    env_b = _env(real_database, secret, redis=False, poll_interval=None)
    with two_servers(env_a, env_b, tmp_path) as (a, b):
        latency = await _measure(a, b, people)
    _assert_clean_exit(a, b)
    with capsys.disabled():
        print(f"\npolicy propagation A -> B by the version poll alone: {latency * 1000:.1f} ms")
    assert latency < DEADLINE, f"B enforced the deny {latency:.3f} s after A answered"
