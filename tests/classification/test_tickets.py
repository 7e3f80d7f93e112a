"""Ticket classification: plugins' rules set category, priority, department and tags of new tickets,
with the reasons in a CLASSIFIED activity."""

from __future__ import annotations

import pytest

from rapport import hookimpl
from rapport.models import Department, Ticket, TicketActivity
from rapport.plugin_api import Decision
from rapport.plugins import activated
from rapport.services import customers, tickets
from tests.plugins import loyalty
from tests.support.personas import cast
from tests.support.plugins import host_with


class Router:
    @hookimpl
    def classify_ticket(self, ticket) -> list[Decision]:
        if "refund" in ticket.subject.lower():
            return [Decision("department", "support", "router.refunds", "refunds are handled by support")]
        return []


@pytest.fixture
async def lead(db, settings):
    from rapport.auth.authenticate import actor_for_agent
    from rapport.authz.plan import plan_for

    people = await cast(settings)
    return await plan_for(await actor_for_agent(people["lead"].agent.id))


async def test_rules_set_category_priority_and_tags_with_reasons(lead, settings) -> None:
    with activated(host_with(settings, loyalty)):
        vip = await customers.create_customer(lead, {"name": "VIP", "custom": {"loyalty_points": 5000}}, settings)
        ticket = await tickets.open_ticket(lead, {"customer": vip.id, "subject": "Printer jammed", "tags": ["office"]}, settings)
    ticket = await Ticket.get(id=ticket.id)
    assert (ticket.category, ticket.priority, ticket.tags) == ("hardware", "high", ["office", "vip"])
    activity = await TicketActivity.get(ticket_id=ticket.id, kind="classified")
    rules = {(r["target"], r["rule"], r["plugin"]) for r in activity.data["reasons"]}
    assert rules == {("category", "loyalty.printers", "tests.plugins.loyalty"), ("priority", "loyalty.vip", "tests.plugins.loyalty"),
                     ("tag", "loyalty.vip", "tests.plugins.loyalty")}
    assert "category hardware (loyalty.printers of tests.plugins.loyalty: the subject mentions a printer)" in activity.note


async def test_what_the_opener_set_is_theirs(lead, settings) -> None:
    with activated(host_with(settings, loyalty)):
        customer = await customers.create_customer(lead, {"name": "Bob"}, settings)
        ticket = await tickets.open_ticket(lead, {"customer": customer.id, "subject": "Printer", "category": "network"}, settings)
    assert (await Ticket.get(id=ticket.id)).category == "network"
    assert not await TicketActivity.filter(ticket_id=ticket.id, kind="classified").exists()


async def test_a_rule_routes_a_ticket_to_another_department(lead, settings) -> None:
    support = await Department.get(code="support")
    with activated(host_with(settings, Router())):
        customer = await customers.create_customer(lead, {"name": "Cid"}, settings)
        routed = await tickets.open_ticket(lead, {"customer": customer.id, "subject": "Refund please"}, settings)
        kept = await tickets.open_ticket(lead, {"customer": customer.id, "subject": "Other"}, settings)
    assert (await Ticket.get(id=routed.id)).department_id == support.id
    assert (await Ticket.get(id=kept.id)).department_id != support.id
