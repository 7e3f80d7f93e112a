"""Automatic assignment: round-robin and least-open within the department, inactive agents skipped,
fair over 100 tickets opened at once, on demand, a plugin first, every assignment an activity."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from rapport.auth.identity_changes import set_agent_active
from rapport import hookimpl
from rapport.models import Agent, Customer, Department, Ticket, TicketActivity, TicketActivityKind
from rapport.plugins import activated
from rapport.services import assignment
from rapport.services import tickets as service
from rapport.services.errors import DomainError
from rapport.services.service_config import parse_service_config, use_config
from tests.services.test_tickets import open_one, plan_of
from tests.support.graphql import make_agent
from tests.support.personas import cast
from tests.support.plugins import host_with


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
    for agent_id in sales_agents[1:]:
        await set_agent_active(agent_id, False)
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


class VipDesk:
    """A partner's assignment plugin: VIP tickets to one agent; it also tries a few wrong answers."""

    def __init__(self, vip_agent: int, outsider: int) -> None:
        self.vip_agent, self.outsider = vip_agent, outsider
        self.asked: list[assignment.AssignmentContext] = []

    @hookimpl
    async def assign_ticket(self, ticket: assignment.AssignmentContext) -> int | str | None:
        self.asked.append(ticket)
        if "vip" in ticket.tags:
            return self.vip_agent
        if "elsewhere" in ticket.tags:
            return self.outsider  # not of the department: ignored
        if "nonsense" in ticket.tags:
            return "the tall one"  # not an agent id: ignored
        if "broken" in ticket.tags:
            raise RuntimeError("plugin bug")  # logged: the department's rule decides
        return None


async def test_a_plugin_decides_first_within_the_department(world, settings) -> None:
    people, customer, sales_agents, away = world
    configure("round_robin")
    desk = VipDesk(sales_agents[3], people["support"].agent.id)
    plan = await plan_of(people["sales"].agent)
    with activated(host_with(settings, desk)):
        vip = await open_one(plan, customer, settings, tags=["vip"])
        others = [await open_one(plan, customer, settings, tags=[tag]) for tag in ("elsewhere", "nonsense", "broken")]
        plain = await open_one(plan, customer, settings)
        configure("manual")  # a manual department: the plugin still decides first, nobody else does
        manual_vip = await open_one(plan, customer, settings, tags=["vip"])
        manual_plain = await open_one(plan, customer, settings)
    assert vip.assignee_id == manual_vip.assignee_id == sales_agents[3]
    assert all(t.assignee_id in sales_agents for t in [*others, plain]) and manual_plain.assignee_id is None
    assert [c.department for c in desk.asked] == ["sales"] * 7 and desk.asked[0].ticket_id == vip.id
    rules = [a.data["rule"] for a in await TicketActivity.filter(kind=TicketActivityKind.ASSIGNED).order_by("id")]
    assert rules == ["plugin", "round_robin", "round_robin", "round_robin", "round_robin", "plugin"]


async def test_no_active_agent_is_a_clear_error_on_demand(world, settings) -> None:
    people, customer, sales_agents, away = world
    configure("round_robin")
    lead = await plan_of(people["lead"].agent)
    for agent_id in await Agent.filter(department__code="sales").values_list("id", flat=True):
        await set_agent_active(agent_id, False)
    ticket = await open_one(lead, customer, settings)
    assert ticket.assignee_id is None  # opened anyway, unassigned
    with pytest.raises(DomainError) as refused:
        await service.assign(lead, ticket.id, None)
    assert refused.value.problems[0].code.value == "INVALID" and "no active agent" in refused.value.problems[0].message
    assert await Ticket.filter(assignee_id__isnull=False).count() == 0
