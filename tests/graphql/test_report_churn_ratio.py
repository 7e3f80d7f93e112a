"""churnRatio through the API: the department report of schema/operations/DepartmentReport.graphql in
one request, with the hand-computed numbers of tests/services/test_report_churn_ratio.py, scoped to the
viewer, and guarded by report.churnRatio."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.graphql import gql
from tests.support.report_data import P_FROM, P_TO, build_paper_data, clear_report_cache

DOCUMENT = (Path(__file__).parents[2] / "schema" / "operations" / "DepartmentReport.graphql").read_text(encoding="utf-8")
PERIOD = {"from": P_FROM.isoformat(), "to": P_TO.isoformat()}


@pytest.fixture
async def paper(db, settings):
    await clear_report_cache(settings)
    yield await build_paper_data(settings)
    await clear_report_cache(settings)


def table(report: dict) -> list[tuple]:
    return [(r["key"], r["label"], r["value"], r["numerator"], r["denominator"]) for r in report["rows"]]


async def test_the_department_report_is_one_request(http, paper) -> None:
    body = (await gql(http, DOCUMENT, paper.people["analyst"].headers, period=PERIOD)).json()
    assert "errors" not in body, body
    reports = body["data"]["reports"]
    assert table(reports["churnRatio"]) == [("sales", "Sales", 0.8333, 5.0, 6.0), ("support", "Support", 0.3333, 1.0, 3.0)]
    # the paper's ticket numbers by department (tests/support/report_data.py)
    assert [(r["key"], r["numerator"], r["denominator"]) for r in reports["slaCompliance"]["rows"]] == [("sales", 2.0, 5.0), ("support", 1.0, 3.0)]
    assert [(r["key"], r["value"]) for r in reports["ticketVolume"]["rows"]] == [("sales", 5.0), ("support", 3.0)]
    assert [(r["key"], r["value"]) for r in reports["satisfaction"]["rows"]] == [("sales", 3.667), ("support", 3.5)]


async def test_a_manager_gets_their_department_and_an_agent_is_refused(http, paper) -> None:
    query = "{ reports { churnRatio(groupBy: DEPARTMENT) { rows { key label value numerator denominator } } } }"
    lead = (await gql(http, query, paper.people["lead"].headers)).json()
    assert table(lead["data"]["reports"]["churnRatio"]) == [("sales", "Sales", 0.8333, 5.0, 6.0)]
    agent = (await gql(http, query, paper.people["sales"].headers)).json()
    (error,) = agent["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and "report.churnRatio" in error["message"]
    bad = (await gql(http, "{ reports { churnRatio(groupBy: CHANNEL) { rows { key } } } }", paper.people["analyst"].headers)).json()
    (error,) = bad["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "churnRatio cannot be grouped by CHANNEL" in error["message"]
