"""churnRatio, the snapshot churn ratio: live customers whose segment is CHURNED now / all live customers
now, per group, 4 decimals. Numbers worked out by hand from tests/support/report_data.py:

    live customers and their segment now (C7 is deleted: never counted)
    sales   C1 churned  C2 existing  C3 churned  C4 churned  C5 churned  C6 churned   -> 5 / 6 = 0.8333
    support C8 existing C9 churned   C10 existing                                     -> 1 / 3 = 0.3333
    all                                                                               -> 6 / 9 = 0.6667
    by tier: HIGH C1 C8 C9 -> 2/3 = 0.6667; ORDINARY C2 C3 C4 C6 C10 -> 3/5 = 0.6; POTENTIAL C5 -> 1/1 = 1
    the lead (manager@sales) sees sales only: 5/6; by owner sales.other C3 C4 -> 2/2, sales.rep C1 C2 C5 C6 -> 3/4
"""

from __future__ import annotations

import pytest

from rapport.models import Customer, CustomerSegment
from rapport.services.reports import Dimension, ReportArgumentError, run_report
from tests.support.graphql import make_agent
from tests.support.report_data import build_paper_data, plan_of

D = Dimension


@pytest.fixture
async def paper(db, settings):
    return await build_paper_data(settings)


async def rows(plan, dimension: Dimension | None = None):
    result = await run_report(plan, "churnRatio", None, dimension)
    return [(r.key, r.value, r.numerator, r.denominator) for r in result.rows]


async def test_churn_ratio_on_paper(paper) -> None:
    analyst = await plan_of(paper.people["analyst"].agent)
    assert await rows(analyst) == [("all", 0.6667, 6.0, 9.0)]
    assert await rows(analyst, D.DEPARTMENT) == [("sales", 0.8333, 5.0, 6.0), ("support", 0.3333, 1.0, 3.0)]
    assert await rows(analyst, D.TIER) == [("HIGH", 0.6667, 2.0, 3.0), ("ORDINARY", 0.6, 3.0, 5.0), ("POTENTIAL", 1.0, 1.0, 1.0)]


async def test_a_department_manager_sees_only_their_department(paper) -> None:
    lead = await plan_of(paper.people["lead"].agent)
    assert await rows(lead) == [("all", 0.8333, 5.0, 6.0)]
    assert await rows(lead, D.DEPARTMENT) == [("sales", 0.8333, 5.0, 6.0)]
    by_owner = await run_report(lead, "churnRatio", None, D.AGENT)
    assert [(r.label, r.value, r.numerator, r.denominator) for r in by_owner.rows] == [
        ("sales.other", 1.0, 2.0, 2.0), ("sales.rep", 0.75, 3.0, 4.0),
    ]
    # reading support customers through another role does not widen the manager's report rule (sales)
    both = await plan_of(await make_agent("both@example.com", "sales", roles=("manager@sales", "agent@support")))
    assert await rows(both, D.DEPARTMENT) == [("sales", 0.8333, 5.0, 6.0)]


async def test_it_is_a_snapshot_of_the_segments_now(paper) -> None:
    analyst = await plan_of(paper.people["analyst"].agent)
    await Customer.filter(id=paper.customers["C10"].id).update(segment=CustomerSegment.CHURNED)
    await Customer.filter(id=paper.customers["C9"].id).update(deleted_at=paper.customers["C9"].created_at)
    assert await rows(analyst, D.DEPARTMENT) == [("sales", 0.8333, 5.0, 6.0), ("support", 0.5, 1.0, 2.0)]  # C8 C10: C10


async def test_it_takes_no_period_and_no_segment_grouping(paper) -> None:
    analyst = await plan_of(paper.people["analyst"].agent)
    result = await run_report(analyst, "churnRatio", None, None)
    assert result.period.startswith("as of ") and "CHURNED" in result.definition
    with pytest.raises(ReportArgumentError, match="churnRatio cannot be grouped by SEGMENT"):
        await run_report(analyst, "churnRatio", None, D.SEGMENT)
