"""Per-address rate limits against a real ``rapport serve``: X-Forwarded-For moves a client to another
bucket only when the peer is a trusted proxy, and then only to the bucket of a valid IP address."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import TEST_REDIS_URL
from tests.support.live import free_port

pytestmark = pytest.mark.slow
BUDGET = 3  # requests per address per hour: the fourth from one bucket is refused


@contextlib.contextmanager
def serving(settings, database_url: str, tmp_path, trusted_proxies: str) -> Iterator[str]:
    """``rapport serve`` in a subprocess on 127.0.0.1 with a tiny per-address budget; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_") and k != "FORWARDED_ALLOW_IPS"}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_SECRET_KEY": settings.signing_key,
            "RAPPORT_LOG_LEVEL": "warning", "RAPPORT_PLUGINS": "", "RAPPORT_TRUSTED_PROXIES": trusted_proxies,
            "RAPPORT_RATE_LIMIT_IP": str(BUDGET), "RAPPORT_RATE_LIMIT_WINDOW": "3600",
            "RAPPORT_REDIS_NAMESPACE": f"rapport-test-{uuid.uuid4().hex[:10]}",  # fresh buckets
            **({"RAPPORT_REDIS_URL": TEST_REDIS_URL} if TEST_REDIS_URL else {})}
    server = subprocess.Popen([sys.executable, "-m", "rapport.cli", "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:  # /healthz costs no points
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            assert server.poll() is None, server.communicate()[0].decode(errors="replace")
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.communicate()


async def status_as(base: str, forwarded_for: str | None) -> int:
    """The status of one anonymous request (every request costs its address one point, before authentication)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        return (await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)).status_code


async def spend_budget(base: str, forwarded_for: list[str | None]) -> None:
    statuses = [await status_as(base, value) for value in forwarded_for]
    assert 429 not in statuses, statuses


async def test_forwarded_for_from_an_untrusted_peer_does_not_change_the_bucket(settings, database_url, tmp_path) -> None:
    # The default: no trusted proxies. The peer is 127.0.0.1, which uvicorn itself would trust.
    with serving(settings, database_url, tmp_path, trusted_proxies="") as base:
        await spend_budget(base, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])
        assert await status_as(base, "198.51.100.7") == 429
        assert await status_as(base, None) == 429  # it was the peer's bucket all along


async def test_forwarded_for_from_a_trusted_proxy_is_the_client_address(settings, database_url, tmp_path) -> None:
    with serving(settings, database_url, tmp_path, trusted_proxies="127.0.0.1") as base:
        await spend_budget(base, ["203.0.113.1"] * BUDGET)
        assert await status_as(base, "203.0.113.1") == 429
        # Another spelling of the same address is the same client.
        assert await status_as(base, "::ffff:203.0.113.1") == 429
        assert await status_as(base, "203.0.113.2") != 429
        assert await status_as(base, None) != 429  # the proxy's own requests have their own bucket


async def test_garbage_forwarded_for_shares_one_bucket(settings, database_url, tmp_path) -> None:
    garbage = ["not-an-address", "203.0.113.1.evil", "' OR 1=1 --", "2001:db8::zz", "unknown", "x" * 200]
    with serving(settings, database_url, tmp_path, trusted_proxies="127.0.0.0/8") as base:
        await spend_budget(base, garbage[:BUDGET])
        for value in garbage[BUDGET:]:
            assert await status_as(base, value) == 429, value
        assert await status_as(base, "203.0.113.9") != 429  # valid addresses keep their own buckets
