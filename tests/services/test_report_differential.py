"""The report statements (one join to the customer, conditions on the join's columns, an anti-join on
deleted customers) count exactly what the lists' scopes let a viewer read: on generated data, for
viewers of every reach (all, departments, own rows anywhere, own rows in departments, two roles), each
report's rows equal an independent count over the rows the list scopes return (``ticket_scope``,
``interaction_scope``, ``row_filter``) and the report rule's reach, done in Python."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from tortoise.expressions import Q, Subquery

from rapport.authz import store
from rapport.authz.model import ANY
from rapport.authz.plan import PermissionPlan
from rapport.authz.rules import Rule
from rapport.authz.sql import department_ids, equal_q, row_filter
from rapport.models import (
    Customer, CustomerSegment, CustomerTier, Department, Interaction, InteractionChannel, InteractionDirection, Ticket,
)
from rapport.services.interactions import interaction_scope
from rapport.services.reports import Dimension, Period, run_report
from rapport.services.reports.definitions import ratio
from rapport.services.reports.dimensions import NONE_KEY, agent_key
from rapport.services.tickets import ticket_scope
from tests.support.graphql import make_agent
from tests.support.personas import cast
from tests.support.report_data import plan_of

D = Dimension
START = datetime(2024, 1, 1, tzinfo=UTC)
PERIOD = Period.of(START + timedelta(days=20), START + timedelta(days=70))


async def _generate(seed: int, agents: list[int]) -> None:
    """Customers (some deleted, some unowned) in three departments, tickets filed in any department,
    interactions by any agent or none; timestamps around the period's bounds."""
    rng = random.Random(seed)
    departments = [d for d in await Department.all() if d.code in ("sales", "support", "marketing")]

    def moment() -> datetime:
        return START + timedelta(days=rng.choice([rng.uniform(0, 90), 20, 70]))

    customers = []
    for n in range(40):
        created = START - timedelta(days=rng.randint(1, 400))
        customers.append(await Customer.create(
            name=f"G{n}", department=rng.choice(departments), owner_id=rng.choice([*agents, None]),
            segment=rng.choice(list(CustomerSegment)), tier=rng.choice(list(CustomerTier)), created_at=created,
            deleted_at=created + timedelta(days=1) if rng.random() < 0.2 else None))
    for n in range(120):
        opened = moment()
        due = opened + timedelta(hours=rng.choice([4, 24, 72]))
        resolved = rng.choice([None, due - timedelta(hours=1), due, due + timedelta(seconds=1)])
        await Ticket.create(
            number=f"G-{n}", subject="generated", customer=rng.choice(customers), department=rng.choice(departments),
            assignee_id=rng.choice([*agents, None]), first_response_due_at=opened + timedelta(hours=1),
            resolution_due_at=due, resolved_at=resolved, satisfaction=rng.choice([None, 1, 2, 3, 4, 5]),
            created_at=opened)
    for _ in range(120):
        await Interaction.create(
            customer=rng.choice(customers), agent_id=rng.choice([*agents, None]), channel=rng.choice(list(InteractionChannel)),
            direction=InteractionDirection.INBOUND, subject="generated", occurred_at=moment())


# --- the reference: list scopes + the report rule's reach, counted in Python -------------------------------

async def _interaction_reach(plan: PermissionPlan, resource: str) -> Q | None:
    """A rule's reach on interactions as subqueries on their customers' departments (the former shape)."""
    scope = plan.row_scope(resource, "read")
    if scope.all:
        return Q()

    def of(ids: list[int]) -> Q:
        return Q(customer_id__in=Subquery(Customer.filter(department_id__in=ids).values("id")))

    parts: list[Q] = []
    if scope.departments and (ids := await department_ids(scope.departments)):
        parts.append(of(ids))
    if scope.own_in and plan.actor.agent_id is not None:
        mine = equal_q("agent_id", plan.actor.agent_id)
        if ANY in scope.own_in:
            parts.append(mine)
        elif ids := await department_ids(scope.own_in):
            parts.append(mine & of(ids))
    if not parts:
        return None
    out = parts[0]
    for part in parts[1:]:
        out |= part
    return out


def _both(a: Q | None, b: Q | None) -> Q | None:
    return None if a is None or b is None else a & b


async def _reference(plan: PermissionPlan, name: str, dimension: Dimension | None) -> list[tuple[str, float, float | None, float | None]]:
    resource = f"report.{name}"
    codes = {d.id: d.code for d in await Department.all()}
    customers = {c.id: c for c in await Customer.all()}
    if name in ("ticketVolume", "slaCompliance", "satisfaction"):
        scope = _both(await ticket_scope(plan), await row_filter(plan, resource, owner_field="assignee_id"))
        rows = [] if scope is None else await Ticket.filter(scope, created_at__gte=PERIOD.start, created_at__lt=PERIOD.end)
        value_of: Callable[[Any], Any] = {
            None: lambda t: "all", D.DEPARTMENT: lambda t: codes[t.department_id],
            D.AGENT: lambda t: agent_key(t.assignee_id) if t.assignee_id else NONE_KEY,
            D.SEGMENT: lambda t: CustomerSegment(customers[t.customer_id].segment).name,
        }[dimension]
    elif name == "interactionVolume":
        scope = _both(await interaction_scope(plan), await _interaction_reach(plan, resource))
        rows = [] if scope is None else await Interaction.filter(scope, occurred_at__gte=PERIOD.start, occurred_at__lt=PERIOD.end)
        value_of = {None: lambda i: "all", D.DEPARTMENT: lambda i: codes[customers[i.customer_id].department_id],
                    D.CHANNEL: lambda i: InteractionChannel(i.channel).name}[dimension]
    else:
        scope = _both(await row_filter(plan, "customer"), await row_filter(plan, resource))
        rows = [] if scope is None else await Customer.filter(scope, deleted_at__isnull=True)
        value_of = {None: lambda c: "all", D.DEPARTMENT: lambda c: codes[c.department_id],
                    D.AGENT: lambda c: agent_key(c.owner_id) if c.owner_id else NONE_KEY,
                    D.TIER: lambda c: CustomerTier(c.tier).name}[dimension]
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        groups[value_of(row)].append(row)
    out = []
    total = len(rows)
    for key, members in groups.items():
        n = len(members)
        if name in ("ticketVolume", "interactionVolume", "customerDistribution"):
            out.append((key, float(n), float(n), float(total)))
        elif name == "slaCompliance":
            within = sum(1 for t in members if t.resolved_at is not None and t.resolved_at <= t.resolution_due_at)
            out.append((key, ratio(within, n, 100, 2), float(within), float(n)))
        elif name == "satisfaction":
            rated = [t.satisfaction for t in members if t.satisfaction is not None]
            if rated:
                out.append((key, ratio(sum(rated), len(rated), 1, 3), float(sum(rated)), float(len(rated))))
        else:  # churnRatio
            churned = sum(1 for c in members if c.segment == CustomerSegment.CHURNED)
            out.append((key, ratio(churned, n, 1, 4), float(churned), float(n)))
    if name in ("ticketVolume", "interactionVolume") and dimension is None and not out:
        out.append(("all", 0.0, 0.0, 0.0))  # a count over nothing is 0, not undefined
    return sorted(out)


CASES = [
    ("ticketVolume", None), ("ticketVolume", D.DEPARTMENT), ("ticketVolume", D.AGENT), ("ticketVolume", D.SEGMENT),
    ("slaCompliance", None), ("slaCompliance", D.DEPARTMENT), ("slaCompliance", D.SEGMENT),
    ("satisfaction", D.DEPARTMENT), ("satisfaction", D.AGENT),
    ("interactionVolume", None), ("interactionVolume", D.DEPARTMENT), ("interactionVolume", D.CHANNEL),
    ("customerDistribution", D.DEPARTMENT), ("customerDistribution", D.AGENT),
    ("churnRatio", None), ("churnRatio", D.DEPARTMENT), ("churnRatio", D.TIER),
]


@pytest.fixture
async def viewers(db, settings) -> tuple[dict[str, PermissionPlan], list[int]]:
    """Viewers of every reach, and the agents rows are assigned to."""
    people = await cast(settings)
    both = await make_agent("both@example.com", "sales", roles=("manager@sales", "agent@support"))
    roamer = await make_agent("roamer@example.com", "support", roles=("agent@*",))  # own rows of every department
    # own rows: agents' report rules reach their own rows only; they read own customers anywhere and
    # their own support tickets
    await store.add_rule(Rule("role:agent", "*", "report.*", "read", "own", "allow"), by="cli:test")
    await store.add_rule(Rule("role:agent", "*", "customer", "read", "own", "allow"), by="cli:test")
    await store.add_rule(Rule("role:agent", "support", "ticket", "read", "own", "allow"), by="cli:test")
    plans = {name: await plan_of(people[name].agent) for name in ("analyst", "lead", "sales", "support", "admin", "security")}
    plans["both"], plans["roamer"] = await plan_of(both), await plan_of(roamer)
    return plans, [p.agent.id for p in people.values()] + [both.id, roamer.id]


@hypothesis_settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
async def test_reports_count_what_the_list_scopes_let_the_viewer_read(viewers, seed) -> None:
    plans, agents = viewers
    for model in (Interaction, Ticket, Customer):  # a fresh dataset per example
        await model.all().delete()
    await _generate(seed, agents)
    compared = 0
    for who, plan in plans.items():
        for name, dimension in CASES:
            if not plan.allows(f"report.{name}", "read"):
                continue
            result = await run_report(plan, name, None if name in ("customerDistribution", "churnRatio") else PERIOD, dimension)
            got = sorted((r.key, r.value, r.numerator, r.denominator) for r in result.rows)
            assert got == await _reference(plan, name, dimension), (seed, who, name, dimension)
            compared += len(got)
    assert compared > 100  # the viewers see rows: the comparison is not between empty answers
