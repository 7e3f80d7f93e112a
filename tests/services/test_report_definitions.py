"""The report definitions on data computed by hand (tests/support/report_data.py explains every number),
the same on both legs; and the SLA / satisfaction definitions against the benchmark's Q4, on the demo."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from rapport.authz.plan import PermissionPlan
from rapport.authz.store import seed_default_policy
from rapport.models import Agent, Department, Ticket
from rapport.services.demo_data import seed_demo
from rapport.services.reports import Dimension, Period, run_report
from rapport.services.reports.definitions import ratio
from tests.support.report_data import P_FROM, P_TO, build_paper_data, plan_of

D = Dimension
P = Period.of(P_FROM, P_TO)


@pytest.fixture
async def paper(db, settings):
    return await build_paper_data(settings)


@pytest.fixture
async def analyst(paper) -> PermissionPlan:
    return await plan_of(paper.people["analyst"].agent)


@pytest.fixture
async def lead(paper) -> PermissionPlan:
    return await plan_of(paper.people["lead"].agent)


async def rows(plan: PermissionPlan, name: str, dimension: Dimension | None = None, period: Period | None = P):
    """(key, value, numerator, denominator) of each row."""
    result = await run_report(plan, name, period, dimension)
    return [(r.key, r.value, r.numerator, r.denominator) for r in result.rows]


async def values(plan: PermissionPlan, name: str, dimension: Dimension | None = None) -> dict[str, float]:
    return {key: value for key, value, _, _ in await rows(plan, name, dimension)}


# --- rounding -----------------------------------------------------------------------------------------


def test_ratio_is_decimal_and_rounds_half_up() -> None:
    assert ratio(1, 32, 100, 2) == 3.13  # 3.125: half up (binary floats or half-even would give 3.12)
    assert ratio(1, 8, 1, 2) == 0.13
    assert ratio(2, 3, 1, 3) == 0.667
    assert ratio(201, 200, 100, 2) == 100.5
    assert ratio(0, 7, 100, 2) == 0.0


# --- churn --------------------------------------------------------------------------------------------


async def test_churn_rate_on_paper(analyst, lead) -> None:
    assert await rows(analyst, "churnRate") == [("all", 42.86, 3.0, 7.0)]
    assert await rows(analyst, "churnRate", D.DEPARTMENT) == [("sales", 50.0, 2.0, 4.0), ("support", 33.33, 1.0, 3.0)]
    assert await rows(analyst, "churnRate", D.TIER) == [("HIGH", 66.67, 2.0, 3.0), ("ORDINARY", 25.0, 1.0, 4.0)]
    assert await rows(lead, "churnRate") == [("all", 50.0, 2.0, 4.0)]


async def test_churn_by_month_is_a_cohort_per_month(analyst) -> None:
    assert await rows(analyst, "churnRate", D.MONTH) == [
        ("2024-01", 14.29, 1.0, 7.0), ("2024-02", 16.67, 1.0, 6.0), ("2024-03", 33.33, 2.0, 6.0),
    ]


async def test_churn_periods_are_half_open_and_tile(analyst) -> None:
    """A change at a boundary belongs to the period that starts there: Jan + Feb + Mar churned 4 in
    total (C3 at 01-01, C1, C5 at 03-01, C9); the churn at 04-01 (C4) is in the next quarter."""
    next_quarter = Period.of(P_TO, datetime(2024, 7, 1, tzinfo=UTC))
    assert await rows(analyst, "churnRate", period=next_quarter) == [("all", 25.0, 1.0, 4.0)]  # C2 C4 C8 C10, C4 churned


# --- tickets ------------------------------------------------------------------------------------------


async def test_sla_compliance_on_paper(analyst, lead) -> None:
    assert await rows(analyst, "slaCompliance") == [("all", 37.5, 3.0, 8.0)]
    assert await rows(lead, "slaCompliance") == [("all", 50.0, 2.0, 4.0)]
    assert await rows(analyst, "slaCompliance", D.DEPARTMENT) == [("sales", 40.0, 2.0, 5.0), ("support", 33.33, 1.0, 3.0)]
    assert await rows(analyst, "slaCompliance", D.MONTH) == [
        ("2024-01", 66.67, 2.0, 3.0), ("2024-02", 0.0, 0.0, 2.0), ("2024-03", 33.33, 1.0, 3.0),
    ]
    assert await rows(analyst, "slaCompliance", D.TIER) == [("HIGH", 40.0, 2.0, 5.0), ("ORDINARY", 33.33, 1.0, 3.0)]


async def test_satisfaction_on_paper(analyst, lead) -> None:
    assert await rows(analyst, "satisfaction") == [("all", 3.6, 18.0, 5.0)]
    assert await rows(lead, "satisfaction") == [("all", 3.5, 7.0, 2.0)]
    assert await rows(analyst, "satisfaction", D.DEPARTMENT) == [("sales", 3.667, 11.0, 3.0), ("support", 3.5, 7.0, 2.0)]
    assert await rows(analyst, "satisfaction", D.SEGMENT) == [("EXISTING", 3.25, 13.0, 4.0), ("CHURNED", 5.0, 5.0, 1.0)]


async def test_first_response_time_is_a_median_for_odd_and_even_counts(analyst, lead) -> None:
    assert await rows(lead, "firstResponseTime") == [("all", 30.0, None, 3.0)]  # odd: the middle value
    assert await rows(analyst, "firstResponseTime") == [("all", 35.0, None, 6.0)]  # even: mean of the two middles
    assert await rows(analyst, "firstResponseTime", D.DEPARTMENT) == [
        ("sales", 35.0, None, 4.0), ("support", 40.01, None, 2.0),  # (1201 + 3600) / 2 s = 40.0083 min
    ]


async def test_ticket_volume_on_paper(analyst, lead) -> None:
    assert await rows(analyst, "ticketVolume") == [("all", 8.0, 8.0, 8.0)]
    assert await values(analyst, "ticketVolume", D.PRIORITY) == {"LOW": 2, "NORMAL": 3, "HIGH": 2, "URGENT": 1}
    assert await rows(analyst, "ticketVolume", D.CATEGORY) == [
        ("billing", 4.0, 4.0, 8.0), ("technical", 2.0, 2.0, 8.0), ("none", 2.0, 2.0, 8.0),
    ]
    result = await run_report(lead, "ticketVolume", P, D.AGENT)
    assert [(r.label, r.value) for r in result.rows] == [("sales.other", 1.0), ("sales.rep", 2.0), ("Unassigned", 1.0)]
    assert result.rows[-1].key == "none" and result.rows[0].key.startswith("QWdlbnQ6")  # agent global ids


# --- customers and interactions -----------------------------------------------------------------------


async def test_customer_distribution_on_paper(analyst, lead) -> None:
    assert await rows(analyst, "customerDistribution", D.SEGMENT, None) == [("EXISTING", 3.0, 3.0, 9.0), ("CHURNED", 6.0, 6.0, 9.0)]
    assert await rows(lead, "customerDistribution", D.SEGMENT, None) == [("EXISTING", 1.0, 1.0, 6.0), ("CHURNED", 5.0, 5.0, 6.0)]
    by_owner = await run_report(lead, "customerDistribution", None, D.AGENT)
    assert [(r.label, r.value) for r in by_owner.rows] == [("sales.other", 2.0), ("sales.rep", 4.0)]
    assert by_owner.period.startswith("as of ")


async def test_interaction_volume_on_paper(analyst, lead) -> None:
    assert await rows(analyst, "interactionVolume") == [("all", 5.0, 5.0, 5.0)]
    assert await rows(lead, "interactionVolume") == [("all", 3.0, 3.0, 3.0)]
    assert await values(analyst, "interactionVolume", D.CHANNEL) == {"CALL": 1, "EMAIL": 3, "CHAT": 1}
    assert await values(analyst, "interactionVolume", D.DEPARTMENT) == {"sales": 3, "support": 2}


async def test_groups_without_data_are_absent_and_empty_ratios_are_left_out(analyst) -> None:
    empty = Period.of(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 2, 1, tzinfo=UTC))
    assert await rows(analyst, "ticketVolume", period=empty) == [("all", 0.0, 0.0, 0.0)]
    assert await rows(analyst, "ticketVolume", D.DEPARTMENT, empty) == []
    for name in ("slaCompliance", "satisfaction", "firstResponseTime", "churnRate"):
        assert await rows(analyst, name, period=empty) == [], name


# --- the benchmark's Q4 -------------------------------------------------------------------------------


def _q4_reference(tickets: list[Ticket], since: datetime, until: datetime) -> dict[int, tuple[str, str | None]]:
    """workload.md Q4, literally: per department, pctResolvedWithinSla = 100 x (opened in [since, until)
    with resolved_at not null and resolved_at <= sla_due_at) / opened, rounded to 2 decimals;
    avgSatisfaction = mean of the non-null satisfaction of those tickets, rounded to 3 decimals."""
    opened: dict[int, list[Ticket]] = defaultdict(list)
    for t in tickets:
        if since <= t.created_at < until:  # opened_at is tickets.created_at, sla_due_at is resolution_due_at
            opened[t.department_id].append(t)
    out = {}
    for department, rows_ in opened.items():
        within = sum(1 for t in rows_ if t.resolved_at is not None and t.resolved_at <= t.resolution_due_at)
        pct = (Decimal(100 * within) / len(rows_)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rated = [t.satisfaction for t in rows_ if t.satisfaction is not None]
        avg = (Decimal(sum(rated)) / len(rated)).quantize(Decimal("0.001"), ROUND_HALF_UP) if rated else None
        out[department] = (str(pct), str(avg) if avg is not None else None)
    return out


async def test_sla_compliance_and_satisfaction_agree_with_the_workload_q4(db, settings) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    await seed_demo(now=now)
    await seed_default_policy()
    admin = await plan_of(await Agent.get(email="admin@demo.example.com"))
    since, until = now - timedelta(days=90), now  # Q4's parameters: 2024-10-03 .. 2025-01-01
    expected = _q4_reference(await Ticket.all(), since, until)
    assert len(expected) == 5
    codes = {d.id: d.code for d in await Department.all()}
    period = Period.of(since, until)
    sla = {r.key: r for r in (await run_report(admin, "slaCompliance", period, D.DEPARTMENT)).rows}
    csat = {r.key: r for r in (await run_report(admin, "satisfaction", period, D.DEPARTMENT)).rows}
    for department, (pct, avg) in expected.items():
        code = codes[department]
        assert str(Decimal(str(sla[code].value)).quantize(Decimal("0.01"))) == pct, code
        assert avg is not None and str(Decimal(str(csat[code].value)).quantize(Decimal("0.001"))) == avg, code
