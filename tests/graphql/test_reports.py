"""Reports through the API: each report field checks report.<name> read, counts only what the viewer
may read, states its definition, says whether it came from the cache, and refuses bad arguments.
The numbers are those of tests/support/report_data.py (worked out there by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.graphql.core.ids import to_global_id
from tests.support.graphql import gql
from tests.support.report_data import P_FROM, P_TO, build_paper_data, clear_report_cache

PERIOD = {"from": P_FROM.isoformat(), "to": P_TO.isoformat()}
CHURN = """
query($period: DateRange!, $groupBy: ReportDimension) {
  reports { churnRate(period: $period, groupBy: $groupBy) {
    name definition period generatedAt cached rows { key label value numerator denominator } } }
}"""
VOLUME = """
query($period: DateRange!, $groupBy: ReportDimension) {
  reports { ticketVolume(period: $period, groupBy: $groupBy) { generatedAt cached rows { key label value } } }
}"""
ALL_FIELDS = """
query($period: DateRange!) {
  reports {
    churnRate(period: $period) { name rows { value } }
    satisfaction(period: $period) { name rows { value } }
    slaCompliance(period: $period) { name rows { value } }
    ticketVolume(period: $period) { name rows { value } }
    firstResponseTime(period: $period) { name rows { value } }
    customerDistribution(groupBy: SEGMENT) { name rows { key value } }
    interactionVolume(period: $period) { name rows { value } }
  }
}"""


@pytest.fixture
async def paper(db, settings):
    await clear_report_cache(settings)
    yield await build_paper_data(settings)
    await clear_report_cache(settings)


def headers(paper, who: str) -> dict[str, str]:
    return paper.people[who].headers


async def test_every_report_answers_with_the_paper_numbers(http, paper) -> None:
    body = (await gql(http, ALL_FIELDS, headers(paper, "analyst"), period=PERIOD)).json()
    assert "errors" not in body, body
    got = {name: report["rows"] for name, report in body["data"]["reports"].items()}
    assert got == {
        "churnRate": [{"value": 42.86}], "satisfaction": [{"value": 3.6}], "slaCompliance": [{"value": 37.5}],
        "ticketVolume": [{"value": 8.0}], "firstResponseTime": [{"value": 35.0}],
        "customerDistribution": [{"key": "EXISTING", "value": 3.0}, {"key": "CHURNED", "value": 6.0}],
        "interactionVolume": [{"value": 5.0}],
    }


async def test_a_manager_and_an_analyst_get_their_own_correct_numbers(http, paper) -> None:
    lead = (await gql(http, CHURN, headers(paper, "lead"), period=PERIOD, groupBy="DEPARTMENT")).json()
    analyst = (await gql(http, CHURN, headers(paper, "analyst"), period=PERIOD, groupBy="DEPARTMENT")).json()
    assert [(r["key"], r["label"], r["value"], r["numerator"], r["denominator"]) for r in lead["data"]["reports"]["churnRate"]["rows"]] == [
        ("sales", "Sales", 50.0, 2.0, 4.0),
    ]
    assert [(r["key"], r["value"]) for r in analyst["data"]["reports"]["churnRate"]["rows"]] == [("sales", 50.0), ("support", 33.33)]


async def test_agent_keys_are_the_apis_agent_ids(http, paper) -> None:
    body = (await gql(http, VOLUME, headers(paper, "lead"), period=PERIOD, groupBy="AGENT")).json()
    rows = body["data"]["reports"]["ticketVolume"]["rows"]
    agents = {p.agent.name: to_global_id("Agent", p.agent.id) for p in paper.people.values()}
    assert [(r["key"], r["label"]) for r in rows] == [
        (agents["sales.other"], "sales.other"), (agents["sales.rep"], "sales.rep"), ("none", "Unassigned"),
    ]


async def test_each_report_needs_its_own_permission(http, paper) -> None:
    for who in ("sales", "security"):  # agents and security admins have no report rules
        body = (await gql(http, CHURN, headers(paper, who), period=PERIOD)).json()
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN" and error["path"] == ["reports", "churnRate"], body
        assert "report.churnRate" in error["message"]
    # the root field itself carries no data and is open to every caller
    body = (await gql(http, "{ reports { __typename } }", headers(paper, "sales"))).json()
    assert body == {"data": {"reports": {"__typename": "Reports"}}}


async def test_the_report_states_its_definition_and_period(http, paper) -> None:
    report = (await gql(http, CHURN, headers(paper, "lead"), period=PERIOD)).json()["data"]["reports"]["churnRate"]
    assert report["name"] == "churnRate"
    assert report["period"] == "[2024-01-01T00:00:00Z, 2024-04-01T00:00:00Z)"
    assert "became CHURNED in [from, to) / customers that were EXISTING at its start" in report["definition"]
    assert "Only rows you may read are counted." in report["definition"]


async def test_results_are_cached_per_scope_and_dropped_by_a_write(http, paper) -> None:
    now = datetime.now(UTC)
    around_now = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(days=1)).isoformat()}

    async def volume(who: str) -> dict:
        body = (await gql(http, VOLUME, headers(paper, who), period=around_now)).json()
        assert "errors" not in body, body
        return body["data"]["reports"]["ticketVolume"]

    first = await volume("lead")
    again = await volume("lead")
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["generatedAt"] == first["generatedAt"] and again["rows"] == first["rows"] == [{"key": "all", "label": "All", "value": 0.0}]
    assert (await volume("analyst"))["cached"] is False  # another scope, another entry

    opened = await gql(http, 'mutation($c: ID!) { openTicket(input: {customer: $c, subject: "New"}) { errors { code } } }',
                       headers(paper, "lead"), c=to_global_id("Customer", paper.customers["C2"].id))
    assert opened.json()["data"]["openTicket"]["errors"] == []
    after = await volume("lead")
    assert after["cached"] is False and after["rows"][0]["value"] == 1.0


@pytest.mark.parametrize(("query", "variables", "message"), [
    (VOLUME, {"groupBy": "CHANNEL"}, "ticketVolume cannot be grouped by CHANNEL"),
    (CHURN, {"groupBy": "SEGMENT"}, "churnRate cannot be grouped by SEGMENT"),
    (VOLUME, {"period": {"from": "2024-04-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"}}, "must be before"),
])
async def test_bad_arguments_are_the_clients_error(http, paper, query, variables, message) -> None:
    body = (await gql(http, query, headers(paper, "analyst"), **{"period": PERIOD, **variables})).json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"], body
