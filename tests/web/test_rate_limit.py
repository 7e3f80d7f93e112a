"""Rate limits: token buckets (in memory and in redis), query cost, HTTP 429 with Retry-After."""

from __future__ import annotations

import uuid

import httpx
import pytest

from rapport.app import create_app
from rapport.graphql.cost import operation_cost
from rapport.graphql.schema import build_schema
from rapport.web.rate_limit import Charge, MemoryRateLimiter, RedisRateLimiter
from tests.conftest import TEST_REDIS_URL
from tests.support.graphql import bearer, gql, make_agent
from tests.support.personas import cast


def limiters() -> list:
    found = [MemoryRateLimiter()]
    if TEST_REDIS_URL:
        found.append(RedisRateLimiter(TEST_REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:"))
    return found


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_buckets_take_all_or_nothing_and_say_when_to_retry(kind) -> None:
    if kind == "redis" and not TEST_REDIS_URL:
        pytest.skip("real leg only")
    limiter = limiters()[0 if kind == "memory" else 1]
    try:
        ten = Charge("a", 6, capacity=10, window=10)  # refills 1 point a second
        assert (await limiter.take([ten])).allowed
        refused = await limiter.take([ten])
        assert not refused.allowed and 1.5 < refused.retry_after <= 2.1 and refused.retry_after_header == "2"
        # Two buckets: the roomy one is not charged when the other refuses.
        roomy = Charge("b", 6, capacity=1000, window=10)
        assert not (await limiter.take([roomy, Charge("a", 6, 10, 10)])).allowed
        assert (await limiter.take([Charge("b", 1000, 1000, 10)])).allowed  # b still has all its points
    finally:
        await limiter.close()


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ viewer { roles } }", {}, 2),
        ("{ tickets(first: 50) { nodes { number customer { name } } } }", {}, 1 + 50 * (1 + 1 + 2)),
        ("query($n: Int) { tickets(first: $n) { totalCount nodes { number } } }", {"n": 10}, 1 + 10 * (1 + 1 + 1)),
        ("{ tickets { nodes { number } } }", {}, 1 + 20 * 2),  # no first: the default page of 20
        ("{ tickets(first: 5000) { nodes { number } } }", {}, 1 + 100 * 2),  # at most 100
        ("{ customers(first: 100) { nodes { tickets(first: 100) { nodes { number } } } } }", {}, 1 + 100 * (1 + 1 + 100 * 2)),
        ("{ ...f } fragment f on Query { departments { code } }", {}, 1 + 20 * 1),
    ],
)
def test_query_cost_estimates(query, variables, cost) -> None:
    from graphql import parse

    schema = build_schema()._schema
    assert operation_cost(schema, parse(query), None, variables) == cost


@pytest.fixture
async def limited(db, settings):
    """An app with small budgets, and a fresh agent and client address (buckets may live in redis)."""
    small = settings.model_copy(update={"rate_limit_actor": 300, "rate_limit_ip": 5_000, "rate_limit_window": 3600})
    await cast(settings)
    agent = await make_agent(f"rl-{uuid.uuid4().hex[:8]}@example.com", "sales", roles=("agent@sales",))
    app = create_app(small, manage_database=False)
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    transport = httpx.ASGITransport(app=app, client=(address, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://rapport.test") as http:
        yield http, bearer(agent, settings)
    await app.state.rate_limiter.close()


async def test_over_budget_is_429_with_retry_after(limited) -> None:
    http, headers = limited
    statuses = [(await gql(http, "{ viewer { roles } }", headers)).status_code for _ in range(150)]  # 2 points each
    assert statuses.count(200) == 150
    refused = await gql(http, "{ viewer { roles } }", headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["cost"] == 2


async def test_one_huge_query_costs_what_the_small_ones_it_replaces_cost(limited) -> None:
    http, headers = limited
    huge = await gql(http, "{ customers(first: 100) { nodes { name } } }", headers)  # 1 + 100 * 2 = 201 of 300 points
    assert huge.status_code == 200 and "errors" not in huge.json()
    passed = 0
    while (await gql(http, "{ viewer { roles } }", headers)).status_code == 200:
        passed += 1
    assert passed == (300 - 201) // 2  # what is left: 49 small queries, not 150
    too_costly = await gql(http, "{ customers(first: 100) { nodes { tickets(first: 100) { nodes { number } } } } }", headers)
    error = too_costly.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY" and error["extensions"]["cost"] > 300


async def test_each_address_is_limited_before_authentication(db, settings) -> None:
    app = create_app(settings.model_copy(update={"rate_limit_ip": 5, "rate_limit_window": 60}), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=(f"10.0.0.{uuid.uuid4().int % 250}", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://rapport.test") as http:
        statuses = [(await http.post("/graphql", json={"query": "{ viewer { roles } }"},
                                     headers={"Authorization": "Bearer guess"})).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]
        assert (await http.get("/healthz")).status_code == 200  # the health check is never limited
    await app.state.rate_limiter.close()


async def test_a_busy_redis_pool_waits_instead_of_letting_requests_through() -> None:
    """Far more concurrent takes than the pool has connections: each is decided by the bucket,
    none is waved through as if redis were down."""
    if not TEST_REDIS_URL:
        pytest.skip("real leg only")
    import asyncio

    from structlog.testing import capture_logs

    limiter = RedisRateLimiter(TEST_REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:")
    try:
        bucket = Charge("busy", 1, capacity=150, window=86_400)  # refills too slowly to matter here
        with capture_logs() as logs:
            decisions = await asyncio.gather(*(limiter.take([bucket]) for _ in range(400)))
        assert [d.allowed for d in decisions].count(True) == 150  # exactly the bucket, not a point more
        assert not [entry for entry in logs if "unavailable" in entry["event"]]
    finally:
        await limiter.close()


async def test_a_small_pool_decides_every_take_after_a_bounded_wait() -> None:
    if not TEST_REDIS_URL:
        pytest.skip("real leg only")
    import asyncio

    from structlog.testing import capture_logs

    limiter = RedisRateLimiter(TEST_REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:", max_connections=2)
    try:
        with capture_logs() as logs:
            decisions = await asyncio.gather(*(limiter.take([Charge("small", 1, 1000, 60)]) for _ in range(200)))
        assert all(d.allowed for d in decisions) and not logs
    finally:
        await limiter.close()


async def test_an_unreachable_redis_lets_requests_through_and_says_so() -> None:
    from structlog.testing import capture_logs

    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", prefix="test:", connect_timeout=0.5)  # nothing listens
    try:
        with capture_logs() as logs:
            decision = await limiter.take([Charge("down", 1, 10, 60)])
        assert decision.allowed
        assert [entry["event"] for entry in logs] == ["rate limit: redis unavailable, request allowed"]
    finally:
        await limiter.close()


async def test_a_take_that_finds_no_free_connection_in_time_is_refused_not_waved_through() -> None:
    if not TEST_REDIS_URL:
        pytest.skip("real leg only")
    from structlog.testing import capture_logs

    limiter = RedisRateLimiter(TEST_REDIS_URL, prefix=f"test:{uuid.uuid4().hex}:", max_connections=1, pool_timeout=0.2)
    pool = limiter._client.connection_pool
    held = await pool.get_connection()  # some other request holds the only connection
    try:
        with capture_logs() as logs:
            decision = await limiter.take([Charge("held", 1, 1000, 60)])
        assert not decision.allowed and decision.retry_after_header == "1"
        assert [entry["event"] for entry in logs] == ["rate limit: no redis connection free in time, request refused"]
    finally:
        await pool.release(held)
    assert (await limiter.take([Charge("held", 1, 1000, 60)])).allowed
    await limiter.close()
