"""Customer classification: the default rules, plugins overriding them, reasons for every class and tag,
classification on every write and in batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.classification.batch import classify_all
from rapport.models import AuditEntry, Customer, CustomerSegmentChange, Interaction, OutboxEvent
from rapport.plugins import activated
from rapport.services import customers, interactions, tickets
from tests.plugins import loyalty
from tests.support.personas import cast
from tests.support.plugins import host_with


@pytest.fixture
async def lead(db, settings):
    from rapport.authz.plan import plan_for
    from rapport.auth.authenticate import actor_for_agent

    people = await cast(settings)
    return await plan_for(await actor_for_agent(people["lead"].agent.id))


def reasons_of(customer: Customer) -> dict[tuple[str, str], dict]:
    return {(r["target"], r["value"]): r for r in customer.classification["reasons"]}


async def test_a_new_customer_is_a_potential_one_with_reasons(lead, settings) -> None:
    customer = await customers.create_customer(lead, {"name": "Ann", "tags": ["Fair"]}, settings)
    assert (customer.segment, customer.tier) == ("potential", "potential")
    reasons = reasons_of(customer)
    assert reasons[("segment", "potential")]["rule"] == "default.segment"
    assert reasons[("segment", "potential")]["explanation"] == "no ticket or purchase yet"
    assert reasons[("tier", "potential")]["plugin"] == "rapport"
    assert reasons[("tag", "fair")]["rule"] == "manual.tag" and "user:sales.lead@example.com" in reasons[("tag", "fair")]["explanation"]
    history = await CustomerSegmentChange.get(customer_id=customer.id)
    assert (history.from_segment, history.to_segment, history.rule, history.plugin) == (None, "potential", "default.segment", "rapport")


async def test_a_first_ticket_makes_an_existing_customer(lead, settings) -> None:
    customer = await customers.create_customer(lead, {"name": "Ann"}, settings)
    await tickets.open_ticket(lead, {"customer": customer.id, "subject": "Question"}, settings)
    customer = await Customer.get(id=customer.id)
    assert customer.segment == "existing" and customer.version == 2
    assert "last active 0 days ago" in reasons_of(customer)[("segment", "existing")]["explanation"]
    change = await CustomerSegmentChange.filter(customer_id=customer.id).order_by("-id").first()
    assert (change.from_segment, change.to_segment) == ("potential", "existing")
    event = await OutboxEvent.filter(topic="customer.updated", entity_id=str(customer.id)).get()
    assert event.payload == {"fields": ["segment", "tier"], "cause": "ticket.opened"}
    audit = await AuditEntry.get(action="customer.classify", entity_id=str(customer.id))
    assert audit.data == {"cause": "ticket.opened", "rules": {"segment": "default.segment of rapport", "tier": "default.tier of rapport"}}


async def test_a_purchase_makes_an_existing_customer_and_volume_a_high_tier(lead, settings) -> None:
    settings = settings.model_copy(update={"high_tier_interactions": 3})
    host = host_with(settings)
    customer = await customers.create_customer(lead, {"name": "Ann"}, settings)
    with activated(host):
        for i in range(2):
            await interactions.log_interaction(lead, {"customer": customer.id, "channel": "call", "direction": "inbound",
                                                      "subject": f"Call {i}"}, settings)
        assert (await Customer.get(id=customer.id)).segment == "potential"  # calls are no purchase
        await interactions.log_interaction(lead, {"customer": customer.id, "channel": "visit", "direction": "inbound",
                                                  "subject": "Bought", "custom": {"purchase": True}}, settings)
    customer = await Customer.get(id=customer.id)
    assert (customer.segment, customer.tier) == ("existing", "high")
    assert reasons_of(customer)[("tier", "high")]["explanation"] == "3 interactions in the last 365 days (HIGH from 3)"


async def test_customers_without_activity_churn_after_the_configured_days(lead, settings) -> None:
    customer = await customers.create_customer(lead, {"name": "Ann"}, settings)
    await Interaction.create(customer_id=customer.id, channel="visit", direction="inbound", subject="Bought",
                             custom={"purchase": True}, occurred_at=datetime.now(UTC) - timedelta(days=200))
    await Customer.filter(id=customer.id).update(last_interaction_at=datetime.now(UTC) - timedelta(days=200))
    patient = host_with(settings, churn_after_days=365)
    assert (await classify_all(patient)).changed == 1
    assert (await Customer.get(id=customer.id)).segment == "existing"
    summary = await classify_all(host_with(settings), dry_run=True)
    assert (summary.customers, summary.changed) == (1, 1)
    assert summary.transitions["segment: existing -> churned"] == 1
    assert (await Customer.get(id=customer.id)).segment == "existing"  # a dry run writes nothing
    await classify_all(host_with(settings))
    churned = await Customer.get(id=customer.id)
    assert churned.segment == "churned"
    assert reasons_of(churned)[("segment", "churned")]["explanation"] == "no interaction or ticket for 200 days (churned after 180 days)"
    assert (await classify_all(host_with(settings))).changed == 0  # stable


async def test_a_plugin_rule_overrides_the_default_and_adds_tags_with_reasons(lead, settings) -> None:
    with activated(host_with(settings, loyalty)):
        customer = await customers.create_customer(lead, {"name": "Ann", "custom": {"loyalty_points": 1500}, "tags": ["fair"]}, settings)
    assert customer.tier == "high" and customer.tags == ["fair", "loyal"]
    reasons = reasons_of(customer)
    assert reasons[("tier", "high")] == {"target": "tier", "value": "high", "rule": "loyalty.tier", "plugin": "tests.plugins.loyalty",
                                        "explanation": "1500 loyalty points (HIGH from 1000)"}
    assert reasons[("tag", "loyal")]["rule"] == "loyalty.tag"
    assert reasons[("segment", "potential")]["rule"] == "default.segment"  # the plugin had no opinion
    assert customer.classification["ruleTags"] == ["loyal"]
    with activated(host_with(settings, loyalty)):
        customer = await customers.update_customer(lead, customer.id, {"custom": {"loyalty_points": 10}, "tags": ["fair", "renewal"]}, settings)
    assert customer.tier == "potential" and customer.tags == ["fair", "renewal"]  # the rule's tag went with the rule


async def test_a_class_set_by_a_person_is_pinned_until_cleared(lead, settings) -> None:
    customer = await customers.create_customer(lead, {"name": "Ann", "tier": "high"}, settings)
    assert customer.tier == "high"
    why = reasons_of(customer)[("tier", "high")]
    assert (why["rule"], why["explanation"]) == ("manual.tier", "tier set by user:sales.lead@example.com")
    await classify_all(host_with(settings))
    assert (await Customer.get(id=customer.id)).tier == "high"
    customer = await customers.update_customer(lead, customer.id, {"tier": None}, settings)
    assert customer.tier == "potential" and reasons_of(customer)[("tier", "potential")]["rule"] == "default.tier"


async def test_without_any_rule_the_classes_stay(lead, settings) -> None:
    with activated(host_with(settings, disable_plugins="rapport.classification")):
        customer = await customers.create_customer(lead, {"name": "Ann"}, settings)
    assert customer.segment == "potential"
    assert reasons_of(customer)[("segment", "potential")]["rule"] == "unchanged.segment"
