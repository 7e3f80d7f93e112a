"""RAPPORT_REPORT_CACHE_SECONDS: 0 turns the report cache off (every ask is computed, and sees rows
written behind the services' back at once); the default keeps today's 60 s cache."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from rapport.app import create_app
from rapport.models import Ticket
from rapport.services.reports.cache import TTL_SECONDS
from rapport.settings import SettingsError, load_settings
from tests.support.graphql import gql
from tests.support.report_data import P_FROM, P_TO, build_paper_data, clear_report_cache

PERIOD = {"from": P_FROM.isoformat(), "to": P_TO.isoformat()}
VOLUME = """
query($period: DateRange!) { reports { ticketVolume(period: $period) { cached rows { value } } } }"""


@pytest.fixture
async def paper(db, settings):
    await clear_report_cache(settings)
    yield await build_paper_data(settings)
    await clear_report_cache(settings)


async def _client_with(settings, **changes):
    app = create_app(settings.model_copy(update=changes), manage_database=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test")


async def _volume(client, paper) -> tuple[bool, float]:
    body = (await gql(client, VOLUME, paper.people["analyst"].headers, period=PERIOD)).json()
    assert "errors" not in body, body
    report = body["data"]["reports"]["ticketVolume"]
    return report["cached"], report["rows"][0]["value"]


async def _add_ticket_behind_the_services(paper) -> None:
    """A ticket inserted straight into the table: no data version moves, so only the TTL ends a cached answer."""
    t1 = paper.tickets["T1"]
    await Ticket.create(number="T-RAW", subject="raw", customer_id=t1.customer_id, department_id=t1.department_id,
                        first_response_due_at=t1.created_at + timedelta(hours=1),
                        resolution_due_at=t1.created_at + timedelta(hours=24), created_at=t1.created_at)


async def test_zero_seconds_computes_every_report(paper, settings) -> None:
    async with await _client_with(settings, report_cache_seconds=0) as client:
        assert await _volume(client, paper) == (False, 8.0)
        assert await _volume(client, paper) == (False, 8.0)
        await _add_ticket_behind_the_services(paper)
        assert await _volume(client, paper) == (False, 9.0)


async def test_the_default_caches_as_before(paper, settings) -> None:
    async with await _client_with(settings) as client:
        assert await _volume(client, paper) == (False, 8.0)
        await _add_ticket_behind_the_services(paper)
        assert await _volume(client, paper) == (True, 8.0)  # the cached answer, until the TTL ends


def test_the_setting_reads_from_the_environment(clean_env) -> None:
    assert load_settings().report_cache_seconds == TTL_SECONDS == 60
    clean_env.setenv("RAPPORT_REPORT_CACHE_SECONDS", "0")
    assert load_settings().report_cache_seconds == 0
    clean_env.setenv("RAPPORT_REPORT_CACHE_SECONDS", "-1")
    with pytest.raises(SettingsError, match="^RAPPORT_REPORT_CACHE_SECONDS:"):
        load_settings()
