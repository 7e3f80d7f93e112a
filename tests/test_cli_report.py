"""``rapport report``: the API's definitions and numbers, in the scope of the agent named by ``--as``,
as CSV or JSON; exporting needs ``export`` on the report (analysts yes, managers no)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from rapport.services.reports import Dimension, Period, run_report
from tests.support.report_data import P_FROM, P_TO, build_paper_data, plan_of
from tests.test_cli import run_cli  # noqa: F401 - the fixture



@pytest.fixture
async def paper(db, settings):
    return await build_paper_data(settings)


async def test_csv_has_the_apis_numbers(paper, run_cli) -> None:
    result = run_cli("report", "churnRate", "--period", "2024-01-01..2024-04-01", "--group-by", "department",
                     "--format", "csv", "--as", "analyst@example.com")
    assert result.returncode == 0, result.stderr
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["key", "label", "value", "numerator", "denominator"],
        ["sales", "Sales", "50", "2", "4"],
        ["support", "Support", "33.33", "1", "3"],
    ]
    assert "churnRate [2024-01-01T00:00:00Z, 2024-04-01T00:00:00Z): churn rate (%)" in result.stderr


async def test_json_is_the_report_as_the_api_gives_it(paper, run_cli) -> None:
    result = run_cli("report", "first-response-time", "--period", "2024-01-01..2024-04-01", "--group-by", "DEPARTMENT",
                     "--format", "json", "--as", "analyst@example.com")
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    api = await run_report(await plan_of(paper.people["analyst"].agent), "firstResponseTime", Period.of(P_FROM, P_TO), Dimension.DEPARTMENT)
    assert exported["name"] == "firstResponseTime" and exported["definition"] == api.definition and exported["cached"] is False
    assert exported["rows"] == [
        {"key": r.key, "label": r.label, "value": r.value, "numerator": r.numerator, "denominator": r.denominator} for r in api.rows
    ]
    assert [row["value"] for row in exported["rows"]] == [35.0, 40.01]


async def test_snapshots_need_no_period(paper, run_cli) -> None:
    result = run_cli("report", "customerDistribution", "--group-by", "segment", "--as", "analyst@example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["EXISTING,Existing,3,3,9", "CHURNED,Churned,6,6,9"]


@pytest.mark.parametrize(("args", "message"), [
    (("--as", "sales.lead@example.com"), "sales.lead@example.com may not export report.ticketVolume"),
    (("--as", "nobody@example.com"), "no active agent with email 'nobody@example.com'"),
    (("--as", "analyst@example.com", "--group-by", "channel"), "ticketVolume cannot be grouped by CHANNEL"),
    (("--as", "analyst@example.com", "--group-by", "colour"), "'colour' is not a dimension"),
    (("--as", "analyst@example.com", "--period", "2024-04-01..2024-01-01"), "must be before"),
])
async def test_refusals_are_one_clear_line(paper, run_cli, args, message) -> None:
    result = run_cli("report", "ticketVolume", "--period", "2024-01-01..2024-04-01", *args)
    assert result.returncode == 1 and message in result.stderr and result.stdout == "", result.stderr
