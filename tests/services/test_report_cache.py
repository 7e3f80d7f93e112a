"""The report cache: per (report, arguments, viewer scope), short-lived, and unreachable as soon as a
write to a table the report reads commits (data versions in the key). In redis on the real leg, so
every process shares it; in-process on the embedded leg."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from rapport.services import customers as customer_service
from rapport.services import data_versions
from rapport.services import interactions as interaction_service
from rapport.services import tickets as ticket_service
from rapport.services.reports import Dimension, Period, run_report
from rapport.services.reports.cache import LocalCache, RedisCache, cache_for
from tests.conftest import TEST_REDIS_URL
from tests.support.report_data import P_FROM, P_TO, build_paper_data, clear_report_cache, plan_of

P = Period.of(P_FROM, P_TO)


@pytest.fixture
async def paper(db, settings):
    await clear_report_cache(settings)
    yield await build_paper_data(settings)
    await clear_report_cache(settings)


@pytest.fixture
def cache(settings):
    return cache_for(settings.redis_url, settings.database_url)


async def run(plan, name, cache, dimension=None, period=P):
    store, namespace = cache
    return await run_report(plan, name, period if name != "customerDistribution" else None, dimension,
                            cache=store, namespace=namespace)


def test_the_leg_decides_where_reports_are_cached(settings) -> None:
    store, _ = cache_for(settings.redis_url, settings.database_url)
    assert isinstance(store, RedisCache if TEST_REDIS_URL else LocalCache)


async def test_a_second_ask_is_served_from_the_cache_with_its_computation_time(paper, cache) -> None:
    analyst = await plan_of(paper.people["analyst"].agent)
    first = await run(analyst, "slaCompliance", cache)
    second = await run(analyst, "slaCompliance", cache)
    assert (first.cached, second.cached) == (False, True)
    assert second.generated_at == first.generated_at and second.rows == first.rows and second.definition == first.definition
    assert (await run(analyst, "slaCompliance", cache, Dimension.MONTH)).cached is False  # other arguments
    lead = await plan_of(paper.people["lead"].agent)
    assert (await run(lead, "slaCompliance", cache)).cached is False  # another scope
    assert [r.value for r in (await run(lead, "slaCompliance", cache)).rows] == [50.0]


async def test_a_write_through_the_services_makes_the_reports_over_it_stale(paper, cache, settings) -> None:
    analyst, lead = await plan_of(paper.people["analyst"].agent), await plan_of(paper.people["lead"].agent)
    for name in ("churnRate", "ticketVolume", "interactionVolume", "customerDistribution"):
        await run(analyst, name, cache, Dimension.SEGMENT if name == "customerDistribution" else None)

    rep = await plan_of(paper.people["sales"].agent)
    await interaction_service.log_interaction(rep, {"customer": paper.customers["C2"].id, "channel": "call",
                                                    "direction": "inbound", "subject": "Hello",
                                                    "occurredAt": datetime(2024, 3, 2, tzinfo=UTC)}, settings)
    volume = await run(analyst, "interactionVolume", cache)
    assert volume.cached is False and volume.rows[0].value == 6.0

    await ticket_service.open_ticket(lead, {"customer": paper.customers["C2"].id, "subject": "New"}, settings)
    assert (await run(analyst, "ticketVolume", cache)).cached is False

    await customer_service.update_customer(lead, paper.customers["C2"].id, {"segment": "churned"}, settings)
    distribution = await run(analyst, "customerDistribution", cache, Dimension.SEGMENT)
    assert distribution.cached is False and [(r.key, r.value) for r in distribution.rows] == [("EXISTING", 2.0), ("CHURNED", 7.0)]
    assert (await run(analyst, "churnRate", cache)).cached is False


async def test_reports_over_other_tables_stay_cached(paper, cache) -> None:
    """Versions are per table: a write to interactions alone leaves ticket and customer reports cached."""
    analyst = await plan_of(paper.people["analyst"].agent)
    for name in ("churnRate", "ticketVolume", "interactionVolume"):
        await run(analyst, name, cache)
    async with in_transaction() as conn:
        await data_versions.touch(conn, data_versions.INTERACTIONS)
    assert (await run(analyst, "interactionVolume", cache)).cached is False
    assert (await run(analyst, "churnRate", cache)).cached is True
    assert (await run(analyst, "ticketVolume", cache)).cached is True
    async with in_transaction() as conn:
        await data_versions.touch(conn, data_versions.CUSTOMERS)  # every report reads customers (scope, groups)
    assert [(await run(analyst, name, cache)).cached for name in ("churnRate", "ticketVolume", "interactionVolume")] == [False] * 3


async def test_another_process_shares_the_redis_cache(paper, settings) -> None:
    if not TEST_REDIS_URL:
        pytest.skip("real leg only (RAPPORT_TEST_REDIS_URL unset)")
    analyst = await plan_of(paper.people["analyst"].agent)
    mine, namespace = cache_for(settings.redis_url, settings.database_url)
    theirs = RedisCache(settings.redis_url, namespace)  # what another app process builds
    first = await run_report(analyst, "ticketVolume", P, None, cache=mine, namespace=namespace)
    shared = await run_report(analyst, "ticketVolume", P, None, cache=theirs, namespace=namespace)
    assert (first.cached, shared.cached) == (False, True) and shared.generated_at == first.generated_at


async def test_an_unreachable_redis_only_costs_the_cache(paper) -> None:
    analyst = await plan_of(paper.people["analyst"].agent)
    down = RedisCache("redis://127.0.0.1:1/0", "test")
    result = await run_report(analyst, "ticketVolume", P, None, cache=down, namespace="test")
    assert result.cached is False and result.rows[0].value == 8.0


async def test_local_entries_expire_and_the_oldest_go_first() -> None:
    local = LocalCache(max_entries=2)
    await local.put("a", {"n": 1}, ttl=0.05)
    await local.put("b", {"n": 2}, ttl=60)
    assert await local.get("a") == {"n": 1}
    await asyncio.sleep(0.06)
    assert await local.get("a") is None
    await local.put("c", {"n": 3}, ttl=60)
    await local.put("d", {"n": 4}, ttl=60)
    assert (await local.get("b"), await local.get("c"), await local.get("d")) == (None, {"n": 3}, {"n": 4})


def test_databases_sharing_a_redis_have_their_own_keys(settings) -> None:
    ours = cache_for(settings.redis_url, settings.database_url)[1]
    assert ours != cache_for(settings.redis_url, settings.database_url + "_other")[1]
    assert settings.database_url not in ours  # the URL (maybe with a password) is hashed
