"""Reports count only what the viewer may read (the row scopes of the lists) and what the report's own
rule reaches; viewers with the same reach share a scope signature (and cache entries), others do not.
Numbers are those of tests/support/report_data.py."""

from __future__ import annotations

import pytest

from rapport.authz import store
from rapport.authz.rules import Rule
from rapport.services.reports import Dimension, Period, run_report
from rapport.services.reports.scopes import signature
from tests.support.graphql import make_agent
from tests.support.report_data import P_FROM, P_TO, build_paper_data, plan_of

P = Period.of(P_FROM, P_TO)


@pytest.fixture
async def paper(db, settings):
    return await build_paper_data(settings)


async def numbers(plan, name: str, dimension: Dimension | None = None) -> list[tuple[str, float, float | None, float | None]]:
    return [(r.key, r.value, r.numerator, r.denominator) for r in (await run_report(plan, name, P, dimension)).rows]


async def test_the_report_rule_limits_a_viewer_who_reads_more(paper) -> None:
    """manager@sales + agent@support reads customers of every department (the support agents' rule) and
    tickets of sales and support, but the manager's report rule reaches sales only: the sales numbers."""
    both = await make_agent("both@example.com", "sales", roles=("manager@sales", "agent@support"))
    plan = await plan_of(both)
    assert await numbers(plan, "churnRate") == [("all", 50.0, 2.0, 4.0)]  # the lead's, not the analyst's 3/7
    # T1 T2 T3 T6 and T10 (a sales ticket of a support customer, readable here): the analyst's sales row
    assert await numbers(plan, "ticketVolume") == [("all", 5.0, 5.0, 5.0)]
    assert await numbers(plan, "interactionVolume") == [("all", 3.0, 3.0, 3.0)]


async def test_an_own_scoped_report_rule_counts_the_viewers_own_rows(paper) -> None:
    await store.add_rule(Rule("role:agent", "*", "report.ticketVolume", "read", "own", "allow"), by="cli:test")
    await store.add_rule(Rule("role:agent", "*", "report.interactionVolume", "read", "own", "allow"), by="cli:test")
    rep = await plan_of(paper.people["sales"].agent)
    # assigned to sales.rep in P: T1 T3 (T10's customer is in support, which a sales agent cannot read)
    assert await numbers(rep, "ticketVolume") == [("all", 2.0, 2.0, 2.0)]
    assert await numbers(rep, "interactionVolume") == [("all", 2.0, 2.0, 2.0)]  # logged by sales.rep: I1 I3


async def test_a_report_over_rows_the_viewer_cannot_read_is_empty(paper) -> None:
    await store.add_rule(Rule("role:security-admin", "*", "report.churnRate", "read", "all", "allow"), by="cli:test")
    security = await plan_of(paper.people["security"].agent)
    assert await numbers(security, "churnRate") == []  # security admins are denied every customer


async def test_scope_signatures_tell_apart_exactly_the_viewers_who_see_different_rows(paper) -> None:
    analyst2 = await make_agent("analyst2@example.com", "finance", roles=("analyst@*",))
    plans = {name: await plan_of(paper.people[name].agent) for name in ("analyst", "lead", "sales", "sales2")}
    plans["analyst2"] = await plan_of(analyst2)
    sign = {name: signature(plan, "ticketVolume") for name, plan in plans.items()}
    assert sign["analyst"] == sign["analyst2"]  # same reach: one cache entry serves both
    assert len({sign["analyst"], sign["lead"], sign["sales"]}) == 3
    assert sign["sales"] == sign["sales2"]  # agents reach whole departments: the agent does not matter
    await store.add_rule(Rule("role:agent", "*", "report.ticketVolume", "read", "own", "allow"), by="cli:test")
    rep, rep2 = await plan_of(paper.people["sales"].agent), await plan_of(paper.people["sales2"].agent)
    assert signature(rep, "ticketVolume") != signature(rep2, "ticketVolume")  # own rows: the agent matters now
