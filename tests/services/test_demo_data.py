"""The demo data: what someone trying Rapport sees after ``rapport seed --demo``."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
import pytest
from tortoise import connections

from rapport.models import (
    Agent, Customer, Department, Interaction, PolicyRule, Ticket, TicketActivity, TicketActivityKind,
    TicketPriority, TicketStatus,
)
from rapport.services.demo_data import DemoSummary, seed_demo
from tests.support.database import empty_all_tables

NOW = datetime(2025, 1, 1, tzinfo=UTC)

PERSONAS = {
    "admin@demo.example.com": ("admin", "*"),
    "security@demo.example.com": ("security-admin", "*"),
    "sales.rep@demo.example.com": ("agent", "sales"),
    "sales.lead@demo.example.com": ("manager", "sales"),
    "support.rep@demo.example.com": ("agent", "support"),
    "analyst@demo.example.com": ("analyst", "*"),
}


@pytest.fixture
async def seeded(db: None) -> DemoSummary:
    summary = await seed_demo(now=NOW)
    assert summary.created
    return summary


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_summary_matches_the_database(seeded: DemoSummary) -> None:
    assert seeded.departments == await Department.all().count() == 5
    assert seeded.agents == await Agent.all().count()
    assert seeded.customers == await Customer.all().count()
    assert seeded.interactions == await Interaction.all().count()
    assert seeded.tickets == await Ticket.all().count()
    assert {d.code: d.name for d in await Department.all()} == {
        "sales": "Sales", "support": "Support", "marketing": "Marketing", "finance": "Finance", "vip": "VIP Accounts",
    }


async def test_persona_agents_have_their_grants(seeded: DemoSummary) -> None:
    rows = await PolicyRule.filter(ptype="g").values_list("v0", "v1", "v2")
    for email, (role, department) in PERSONAS.items():
        agent = await Agent.get(email=email)
        assert agent.active
        assert (f"user:{email}", f"role:{role}", department) in rows
    # every other agent works in a department, as an agent of it
    others = await Agent.exclude(email__in=list(PERSONAS)).prefetch_related("department")
    assert len(others) >= 20
    assert any(not agent.active for agent in others)
    for agent in others:
        assert (f"user:{agent.email}", "role:agent", agent.department.code) in rows
    names = [agent.name for agent in await Agent.all()]
    assert any(has_cjk(name) for name in names)
    assert any(not name.isascii() and not has_cjk(name) for name in names)  # José, Zoë...


async def test_customers_look_real(seeded: DemoSummary) -> None:
    customers = await Customer.all().prefetch_related("owner")
    assert 450 <= len(customers) <= 550
    departments = {d.id for d in await Department.all()}
    assert {c.department_id for c in customers} == departments
    assert any(has_cjk(c.name) for c in customers)
    assert any(c.company and has_cjk(c.company) for c in customers)
    assert {c.segment.value for c in customers} == {"potential", "existing", "churned"}
    potential = [c for c in customers if c.segment == "potential"]
    assert sum(c.tier == "potential" for c in potential) > len(potential) / 2
    assert sum(c.address_city is not None for c in customers) > len(customers) / 2
    assert {c.address_country for c in customers} >= {"US", "CN", "DE", "GB", "FR"}
    assert any(c.deleted_at is not None for c in customers)
    for c in customers:
        if c.owner is not None:
            assert c.owner.department_id == c.department_id
        assert all(tag == tag.lower() for tag in c.tags)
        assert c.custom == {}
        assert c.classification["reasons"][0]["rule"] == "demo.seed"
        assert c.created_at <= c.updated_at <= NOW


async def test_emails_and_phones_are_unique_and_valid(seeded: DemoSummary) -> None:
    customers = await Customer.all()
    emails = [c.email for c in customers if c.email]
    assert len(emails) == len(set(emails)) > len(customers) / 2
    assert all(email == email.lower() and email.isascii() for email in emails)
    assert {email.rsplit("@", 1)[1] for email in emails} <= {"example.com", "example.org", "example.net"}
    live_phones = [c.phone for c in customers if c.phone and c.deleted_at is None]
    assert len(live_phones) == len(set(live_phones)) > len(customers) / 2
    regions = Counter()
    for phone in (c.phone for c in customers if c.phone):
        parsed = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone
        regions[phonenumbers.region_code_for_number(parsed)] += 1
    assert set(regions) >= {"US", "CN", "DE", "GB", "FR"}


@pytest.mark.parametrize("email", ["sales.rep@demo.example.com", "support.rep@demo.example.com"])
async def test_reps_own_customers_they_can_reach(seeded: DemoSummary, email: str) -> None:
    agent = await Agent.get(email=email)
    reachable = await Customer.filter(
        owner_id=agent.id, deleted_at__isnull=True, email__isnull=False, phone__isnull=False
    ).count()
    assert reachable >= 10


async def test_interactions_set_last_interaction_at(seeded: DemoSummary) -> None:
    interactions = await Interaction.all()
    assert len(interactions) > 1000
    latest: dict[int, datetime] = {}
    for i in interactions:
        assert NOW - timedelta(days=366) <= i.occurred_at <= NOW
        latest[i.customer_id] = max(latest.get(i.customer_id, i.occurred_at), i.occurred_at)
    for customer in await Customer.all():
        assert customer.last_interaction_at == latest.get(customer.id)


async def test_tickets_cover_every_status_and_priority(seeded: DemoSummary) -> None:
    tickets = await Ticket.all().order_by("id").prefetch_related("assignee")
    assert {t.status for t in tickets} == set(TicketStatus)
    assert {t.priority for t in tickets} == set(TicketPriority)
    assert {t.category for t in tickets} == {"billing", "technical", "account", "shipping", "other"}
    assert [t.number for t in tickets] == [f"T-{n:06d}" for n in range(1, len(tickets) + 1)]
    assert [t.created_at for t in tickets] == sorted(t.created_at for t in tickets)
    assert any(t.assignee is None and t.status == TicketStatus.NEW for t in tickets)
    sla = {"urgent": (1, 4), "high": (4, 24), "normal": (8, 72), "low": (24, 168)}
    done = [t for t in tickets if t.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)]
    for t in tickets:
        response, resolution = sla[t.priority.value]
        assert t.first_response_due_at == t.created_at + timedelta(hours=response)
        assert t.resolution_due_at == t.created_at + timedelta(hours=resolution)
        assert t.sla_policy == "default"
        assert t.created_at <= t.updated_at <= NOW
        if t.assignee is not None:
            assert t.assignee.department_id == t.department_id
        assert (t.resolved_at is not None) == (t in done)
        assert (t.closed_at is not None) == (t.status == TicketStatus.CLOSED)
    within = sum(t.resolved_at <= t.resolution_due_at for t in done)
    assert 0.6 < within / len(done) < 0.9
    assert sum(t.satisfaction is not None for t in done) > len(done) / 2
    assert all(1 <= t.satisfaction <= 5 for t in done if t.satisfaction is not None)


async def test_every_ticket_has_its_service_record(seeded: DemoSummary) -> None:
    tickets = {t.id: t for t in await Ticket.all()}
    activities = await TicketActivity.all().order_by("ticket_id", "at", "id")
    by_ticket: dict[int, list[TicketActivity]] = {}
    for a in activities:
        by_ticket.setdefault(a.ticket_id, []).append(a)
        assert a.at <= NOW
    kinds = Counter(a.kind for a in activities)
    assert kinds[TicketActivityKind.CREATED] == len(tickets)
    assert kinds[TicketActivityKind.COMMENT] and kinds[TicketActivityKind.WORK_LOG] and kinds[TicketActivityKind.RATED]
    assert all(a.minutes_spent for a in activities if a.kind == TicketActivityKind.WORK_LOG)
    for ticket_id, ticket in tickets.items():
        steps = by_ticket[ticket_id]
        assert steps[0].kind == TicketActivityKind.CREATED and steps[0].at == ticket.created_at
        assert steps[0].actor_id == ticket.assignee_id
        changes = [a for a in steps if a.kind == TicketActivityKind.STATUS_CHANGED]
        status = TicketStatus.NEW
        for change in changes:  # the status changes chain up to the ticket's status
            assert change.from_status == status
            status = change.to_status
        assert status == ticket.status
        assert any(a.kind == TicketActivityKind.RATED for a in steps) == (ticket.satisfaction is not None)


async def test_seeds_only_an_empty_database(seeded: DemoSummary) -> None:
    again = await seed_demo(now=NOW)
    assert not again.created
    assert again == DemoSummary(
        seeded.departments, seeded.agents, seeded.customers, seeded.interactions, seeded.tickets, created=False
    )
    assert await PolicyRule.filter(ptype="g").count() == seeded.agents


async def test_new_rows_get_fresh_ids_after_the_seed(seeded: DemoSummary) -> None:
    """The explicit ids must not collide with the ones the database hands out next (PostgreSQL sequences)."""
    department = await Department.create(code="legal", name="Legal")
    customer = await Customer.create(name="New Customer", department=department)
    agent = await Agent.create(email="new@demo.example.com", name="New Agent", department=department)
    assert department.id > 5 and customer.id > seeded.customers and agent.id > seeded.agents


async def test_agents_already_there_are_kept(db: None) -> None:
    boss = await Agent.create(email="boss@corp.example.com", name="Boss")
    summary = await seed_demo(now=NOW)
    assert summary.created and await Agent.all().count() == summary.agents + 1
    assert (await Agent.get(email="admin@demo.example.com")).id > boss.id


async def snapshot() -> dict[str, list[Any]]:
    return {
        "customers": await Customer.all().order_by("id").values_list(
            "name", "email", "phone", "segment", "tier", "owner_id", "department_id", "tags", "created_at"
        ),
        "interactions": await Interaction.all().order_by("id").values_list(
            "customer_id", "agent_id", "channel", "subject", "occurred_at"
        ),
        "tickets": await Ticket.all().order_by("id").values_list(
            "number", "customer_id", "assignee_id", "status", "priority", "created_at", "resolved_at", "satisfaction"
        ),
        "activities": await TicketActivity.all().order_by("id").values_list("ticket_id", "kind", "actor_id", "at"),
    }


def shifted(rows: list[tuple[Any, ...]], delta: timedelta) -> list[tuple[Any, ...]]:
    return [tuple(v + delta if isinstance(v, datetime) else v for v in row) for row in rows]


async def test_the_same_data_every_time(db: None) -> None:
    await seed_demo(now=NOW)
    first = await snapshot()
    await empty_all_tables(connections.get("default"))
    await seed_demo(now=NOW)
    assert await snapshot() == first
    # another reference time moves the timestamps, nothing else
    await empty_all_tables(connections.get("default"))
    await seed_demo(now=NOW + timedelta(days=10))
    later = await snapshot()
    for table, rows in first.items():
        assert later[table] == shifted(rows, timedelta(days=10)), table
