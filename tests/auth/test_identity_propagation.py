"""An identity change made by one process is enforced by every server within a second, cached actors or not.

Two real ``rapport serve`` processes on the session's PostgreSQL database have cached the actors; this
test process then revokes a role, deactivates an agent and revokes an API key (as an operator's CLI
or another app process would). With redis, server B polls the version only once a minute, so only the
message this process publishes can end its cached identities in time; without redis, B's version poll
(0.5 s) must. Real leg only: SQLite is one process's database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from rapport.auth.actor import RoleGrant
from rapport.auth.apikeys import create_api_key, revoke_api_key
from rapport.auth.identity_changes import set_agent_active
from rapport.authz.notifier import PolicyNotifier
from rapport.authz.store import revoke_role
from rapport.models import Department
from tests.authz.test_propagation import DEADLINE, Server, _assert_clean_exit, _env, real_database, two_servers  # noqa: F401
from tests.conftest import TEST_REDIS_URL
from tests.support.personas import cast

pytestmark = pytest.mark.slow

ROLES = "{ viewer { roles } }"


async def _roles(client: httpx.AsyncClient, server: Server, headers: dict[str, str]) -> list[str] | int:
    response = await client.post(f"{server.url}/graphql", json={"query": ROLES}, headers=headers)
    return response.json()["data"]["viewer"]["roles"] if response.status_code == 200 else response.status_code


async def _latency(
    client: httpx.AsyncClient, b: Server, headers: dict[str, str], change: Callable[[], Awaitable[object]], after: object
) -> float:
    """Seconds from the change's commit until B answers ``after`` for ``headers``."""
    await change()
    changed = time.monotonic()
    while (seen := await _roles(client, b, headers)) != after:
        assert time.monotonic() - changed < 5.0, f"B still answers {seen!r}"
        await asyncio.sleep(0.002)
    return time.monotonic() - changed


async def _measure(a: Server, b: Server, settings) -> dict[str, float]:
    people = await cast(settings)
    _, raw = await create_api_key("erp-sync", [RoleGrant("agent", "sales")], await Department.get(code="sales"))
    key = {"Authorization": f"Bearer {raw}"}
    await asyncio.gather(a.wait_healthy(), b.wait_healthy())
    analyst, sales = people["analyst"].headers, people["sales"].headers
    async with httpx.AsyncClient(timeout=5.0) as client:
        for server in (a, b):  # both have cached the three identities
            assert await _roles(client, server, analyst) == ["analyst@*"]
            assert await _roles(client, server, sales) == ["agent@sales"]
            assert await _roles(client, server, key) == ["agent@sales"]
        latencies = {
            "revoked role": await _latency(
                client, b, analyst, lambda: revoke_role("user:analyst@example.com", "analyst@*", by="cli:ops"), []
            ),
            "deactivated agent": await _latency(
                client, b, sales, lambda: set_agent_active(people["sales"].agent.id, False), 401
            ),
            "revoked API key": await _latency(client, b, key, lambda: revoke_api_key("erp-sync"), 401),
        }
        assert await _roles(client, a, sales) == 401 and await _roles(client, a, key) == 401  # and A of course
    return latencies


async def test_identity_changes_reach_another_server_through_redis_within_a_second(
    db, settings, real_database, tmp_path, capsys
) -> None:
    if not TEST_REDIS_URL:
        pytest.skip("real leg only (RAPPORT_TEST_REDIS_URL unset)")
    env_a = _env(real_database, settings.signing_key, redis=True, poll_interval=None)
    env_b = _env(real_database, settings.signing_key, redis=True, poll_interval=60)
    # The changes are published on the servers' channel, as another app process would publish them.
    async with PolicyNotifier(TEST_REDIS_URL):
        with two_servers(env_a, env_b, tmp_path) as (a, b):
            latencies = await _measure(a, b, settings)
    _assert_clean_exit(a, b)
    with capsys.disabled():
        print("\nidentity propagation through redis: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in latencies.items()))
    assert max(latencies.values()) < DEADLINE, latencies


async def test_without_a_message_the_version_poll_ends_cached_identities_within_a_second(
    db, settings, real_database, tmp_path, capsys
) -> None:
    env_a = _env(real_database, settings.signing_key, redis=False, poll_interval=None)
    env_b = _env(real_database, settings.signing_key, redis=False, poll_interval=None)
    with two_servers(env_a, env_b, tmp_path) as (a, b):
        latencies = await _measure(a, b, settings)
    _assert_clean_exit(a, b)
    with capsys.disabled():
        print("\nidentity propagation by the version poll: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in latencies.items()))
    assert max(latencies.values()) < DEADLINE, latencies
