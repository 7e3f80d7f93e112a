"""Automatic assignment: round-robin and least-open within the department, inactive agents skipped,
fair over 100 tickets opened at once, on demand, a plugin first, every assignment an activity."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from rapport.models import Agent, Customer, Department, Ticket, TicketActivity, TicketActivityKind
from rapport.services import assignment
from rapport.services import tickets as service
from rapport.services.errors import DomainError
from rapport.services.service_config import parse_service_config, use_config
from tests.services.test_tickets import open_one, plan_of
from tests.support.graphql import make_agent
from tests.support.personas import cast


def configure(sales: str, support: str = "manual") -> None:
    use_config(parse_service_config({"departments": {"sales": {"assignment": sales}, "support": {"assignment": support}}}))


@pytest.fixture
async def world(db, settings):
    previous = use_config(None)
    people = await cast(settings)  # sales: sales.rep, sales.other, sales.lead (manager)
    extra = await make_agent("sales.fourth@example.com", "sales", roles=("agent@sales",))
    away = await make_agent("sales.away@example.com", "sales", roles=("agent@sales",), active=False)
    customer = await Customer.create(name="Ann", department=await Department.get(code="sales"))
    sales_agents = [people["sales"].agent.id, people["sales2"].agent.id, people["lead"].agent.id, extra.id]
    yield people, customer, sales_agents, away
    use_config(previous)
    assignment.set_plugin_assignee_source(None)


async def test_round_robin_is_fair_over_100_tickets_opened_at_once(world, settings) -> None:
    people, customer, sales_agents, away = world
    configure("round_robin")
    plan = await plan_of(people["sales"].agent)
    tickets = await asyncio.gather(*(open_one(plan, customer, settings) for _ in range(100)))
    counts = Counter(t.assignee_id for t in tickets)
    assert set(counts) == set(sales_agents) and away.id not in counts
    assert sorted(counts.values()) == [25, 25, 25, 25]
    # In turn: by ticket number the assignees cycle through the agents by id.
    ordered = [t.assignee_id for t in sorted(tickets, key=lambda t: t.number)]
    assert ordered[:8] == sorted(sales_agents) * 2
    steps = await TicketActivity.filter(kind=TicketActivityKind.ASSIGNED).all()
    assert len(steps) == 100 and {s.data["rule"] for s in steps} == {"round_robin"} and {s.actor_id for s in steps} == {None}


async def test_least_open_fills_the_emptiest_queue_first(world, settings) -> None:
    people, customer, sales_agents, away = world
    plan = await plan_of(people["lead"].agent)
    busy = sales_agents[0]
    for _ in range(6):  # one agent already has six open tickets
        await open_one(plan, customer, settings, assignee=busy)
    configure("least_open")
    tickets = await asyncio.gather(*(open_one(plan, customer, settings) for _ in range(100)))
    counts = Counter(t.assignee_id for t in tickets)
    totals = {agent: counts.get(agent, 0) + (6 if agent == busy else 0) for agent in sales_agents}
    assert max(totals.values()) - min(totals.values()) <= 1  # 106 open tickets over four agents: 26 or 27 each
    assert counts[busy] == 106 // 4 - 6 or counts[busy] == 106 // 4 + 1 - 6


async def test_inactive_agents_and_other_departments_are_never_chosen(world, settings) -> None:
    people, customer, sales_agents, away = world
    configure("round_robin", support="least_open")
    await Agent.filter(id__in=sales_agents[1:]).update(active=False)
    plan = await plan_of(people["sales"].agent)
    tickets = [await open_one(plan, customer, settings) for _ in range(5)]
    assert {t.assignee_id for t in tickets} == {sales_agents[0]}
    support_customer = await Customer.create(name="Bob", department=await Department.get(code="support"))
    support_ticket = await open_one(await plan_of(people["support"].agent), support_customer, settings)
    assert support_ticket.assignee_id == people["support"].agent.id


async def test_assign_with_no_assignee_assigns_automatically(world, settings) -> None:
    people, customer, sales_agents, away = world
    lead = await plan_of(people["lead"].agent)
    ticket = await open_one(lead, customer, settings)
    assert ticket.assignee_id is None  # manual department: nobody is chosen on open
    unassigned = await service.assign(lead, ticket.id, None)  # ... and null unassigns there, as before
    assert unassigned.assignee_id is None
    configure("least_open")
    chosen = await service.assign(lead, ticket.id, None)
    assert chosen.assignee_id in sales_agents
    step = (await TicketActivity.filter(ticket_id=ticket.id, kind=TicketActivityKind.ASSIGNED).order_by("-id").first())
    assert step.data["rule"] == "least_open" and step.actor_id == people["lead"].agent.id  # who asked for it
    cleared = await service.assign(lead, ticket.id, None, unassign=True)
    assert cleared.assignee_id is None
    agent = await plan_of(people["sales"].agent)  # automatic assignment gives the ticket to others: manage only
    with pytest.raises(DomainError) as refused:
        await service.assign(agent, ticket.id, None)
    assert refused.value.problems[0].code.value == "FORBIDDEN"


async def test_a_plugin_decides_first_within_the_department(world, settings) -> None:
    people, customer, sales_agents, away = world
    configure("round_robin")
    asked = []

    async def plugin(context: assignment.AssignmentContext) -> int | None:
        asked.append(context)
        if "vip" in context.tags:
            return sales_agents[3]
        if "elsewhere" in context.tags:
            return people["support"].agent.id  # not of the department: ignored
        return None

    assignment.set_plugin_assignee_source(plugin)
    plan = await plan_of(people["sales"].agent)
    vip = await open_one(plan, customer, settings, tags=["vip"])
    other = await open_one(plan, customer, settings, tags=["elsewhere"])
    plain = await open_one(plan, customer, settings)
    assert vip.assignee_id == sales_agents[3]
    assert other.assignee_id in sales_agents and plain.assignee_id in sales_agents
    assert [c.department for c in asked] == ["sales"] * 3 and asked[0].ticket_id == vip.id
    rules = [a.data["rule"] for a in await TicketActivity.filter(kind=TicketActivityKind.ASSIGNED).order_by("id")]
    assert rules == ["plugin", "round_robin", "round_robin"]


async def test_no_active_agent_is_a_clear_error_on_demand(world, settings) -> None:
    people, customer, sales_agents, away = world
    configure("round_robin")
    lead = await plan_of(people["lead"].agent)
    await Agent.filter(department__code="sales").update(active=False)
    ticket = await open_one(lead, customer, settings)
    assert ticket.assignee_id is None  # opened anyway, unassigned
    with pytest.raises(DomainError) as refused:
        await service.assign(lead, ticket.id, None)
    assert refused.value.problems[0].code.value == "INVALID" and "no active agent" in refused.value.problems[0].message
    assert await Ticket.filter(assignee_id__isnull=False).count() == 0
