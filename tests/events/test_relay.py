"""Domain events: written with the change (or not at all), delivered by the relay to every plugin's
on_event at least once, in order per entity, retried with backoff, parked when they keep failing, and
one failing plugin never holds back another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport.events.relay import backoff, parked, relay_pass, relay_until_idle, retry
from rapport.models import OutboxDelivery, OutboxEvent
from rapport.plugins import activated
from rapport.services import customers, tickets
from rapport.services.errors import DomainError
from tests.plugins import faulty
from tests.support.personas import cast
from tests.support.plugins import host_with


@pytest.fixture
async def lead(db, settings):
    from rapport.auth.authenticate import actor_for_agent
    from rapport.authz.plan import plan_for

    people = await cast(settings)
    return await plan_for(await actor_for_agent(people["lead"].agent.id))


async def topics() -> list[tuple[str, str, str]]:
    return [(e.topic, e.entity, e.entity_id) for e in await OutboxEvent.all().order_by("id")]


async def test_every_change_writes_its_event_in_its_transaction(lead, settings) -> None:
    customer = await customers.create_customer(lead, {"name": "Ann"}, settings)
    await customers.update_customer(lead, customer.id, {"title": "CEO"}, settings)
    ticket = await tickets.open_ticket(lead, {"customer": customer.id, "subject": "Help"}, settings)
    await tickets.transition(lead, ticket.id, "resolved")
    await tickets.rate(lead, ticket.id, 5)
    await tickets.assign(lead, ticket.id, lead.actor.agent_id)
    found = [t for t in await topics() if t[1] != "policy"]
    c, t = str(customer.id), str(ticket.id)
    assert found == [
        ("customer.created", "customer", c), ("customer.updated", "customer", c), ("ticket.opened", "ticket", t),
        ("customer.updated", "customer", c), ("ticket.transitioned", "ticket", t), ("ticket.rated", "ticket", t),
        ("ticket.assigned", "ticket", t),
    ]
    update = await OutboxEvent.filter(topic="customer.updated").order_by("id").first()
    assert update.payload == {"fields": ["title"]}  # names, never values
    with pytest.raises(DomainError):
        await customers.update_customer(lead, customer.id, {"email": "not an email"}, settings)
    assert len(await topics()) == len(found) + 1  # + the policy seed; a failed write leaves no event


async def test_merge_and_delete_have_their_events(lead, settings) -> None:
    a = await customers.create_customer(lead, {"name": "A"}, settings)
    b = await customers.create_customer(lead, {"name": "B"}, settings)
    c = await customers.create_customer(lead, {"name": "C"}, settings)
    await customers.merge_customers(lead, a.id, [b.id])
    await customers.delete_customer(lead, c.id)
    merged = await OutboxEvent.get(topic="customer.merged")
    assert (merged.entity_id, merged.payload) == (str(a.id), {"merged": [b.id]})
    deleted = {(e.entity_id, tuple(e.payload.items())) for e in await OutboxEvent.filter(topic="customer.deleted")}
    assert deleted == {(str(b.id), (("mergedInto", a.id),)), (str(c.id), ())}


async def test_policy_changes_are_events(lead, settings) -> None:
    from rapport.authz.rules import Rule
    from rapport.authz.store import add_rule

    await add_rule(Rule("role:agent", "*", "customer", "export", "dept", "allow"), by="cli:test")
    event = await OutboxEvent.filter(topic="policy.changed").order_by("-id").first()
    assert event.payload["change"] == "add_rule"


async def test_the_relay_delivers_to_every_consumer_in_order(lead, settings) -> None:
    first, second = faulty.Recorder(), faulty.Recorder()
    host = host_with(settings, first, second)
    customer = await customers.create_customer(lead, {"name": "Ann"}, settings)
    for title in ("a", "b", "c"):
        await customers.update_customer(lead, customer.id, {"title": title}, settings)
    report = await relay_pass(host)
    assert report.delivered == 2 * await OutboxEvent.all().count() and report.failed == 0
    for recorder in (first, second):
        mine = [e for e in recorder.received if e.entity == "customer"]
        assert [e.topic for e in mine] == ["customer.created"] + ["customer.updated"] * 3
        assert [e.id for e in mine] == sorted(e.id for e in mine)
    assert await OutboxEvent.filter(delivered_at__isnull=True).count() == 0
    assert (await relay_pass(host)).delivered == 0  # at least once, and not again once acknowledged


async def test_without_consumers_events_are_simply_completed(lead, settings) -> None:
    await customers.create_customer(lead, {"name": "Ann"}, settings)
    report = await relay_pass(host_with(settings))
    assert report.completed == await OutboxEvent.all().count()


async def test_a_failing_consumer_is_retried_with_backoff_and_holds_only_its_entity(lead, settings) -> None:
    flaky, steady = faulty.FlakyConsumer(down=True), faulty.Recorder()
    host = host_with(settings, flaky, steady)
    a = await customers.create_customer(lead, {"name": "A"}, settings)
    await customers.update_customer(lead, a.id, {"title": "x"}, settings)
    b = await customers.create_customer(lead, {"name": "B"}, settings)
    now = datetime.now(UTC)
    await relay_pass(host, now=now)
    # the steady consumer has everything; the flaky one nothing yet (each entity's first event failed)
    assert len([e for e in steady.received if e.entity == "customer"]) == 3
    assert flaky.received == []
    created = await OutboxEvent.get(topic="customer.created", entity_id=str(a.id))
    state = await OutboxDelivery.get(consumer="FlakyConsumer", event_id=created.id)
    assert state.attempts == 1 and state.next_attempt_at == now + backoff(1) and "ConnectionError: receiver down" in state.last_error
    # a's update waits behind a's failed create (order per entity): not even tried
    update = await OutboxEvent.get(topic="customer.updated", entity_id=str(a.id))
    assert not await OutboxDelivery.filter(consumer="FlakyConsumer", event_id=update.id).exists()
    assert (await relay_pass(host, now=now + timedelta(seconds=1))).failed == 0  # backoff: nothing due yet
    await relay_pass(host, now=now + timedelta(seconds=3))  # due again, still down: second failure, 4 s backoff
    assert state.attempts + 1 == (await OutboxDelivery.get(id=state.id)).attempts
    flaky.down = False
    assert (await relay_pass(host, now=now + timedelta(seconds=4))).delivered == 0  # not due before 3 + 4 s
    await relay_pass(host, now=now + timedelta(seconds=8))
    mine = [(e.topic, e.entity_id, e.attempt) for e in flaky.received if e.entity == "customer"]
    assert mine == [("customer.created", str(a.id), 3), ("customer.updated", str(a.id), 1), ("customer.created", str(b.id), 3)]


async def test_a_consumer_that_keeps_failing_is_parked_visible_and_retryable(lead, settings) -> None:
    broken = faulty.FlakyConsumer(down=True)
    host = host_with(settings, broken, relay_max_attempts=3)
    customer = await customers.create_customer(lead, {"name": "A"}, settings)
    await customers.update_customer(lead, customer.id, {"title": "x"}, settings)
    now = datetime.now(UTC)
    for minutes in range(0, 60, 5):
        await relay_pass(host, now=now + timedelta(minutes=minutes))
    rows = await parked("FlakyConsumer")
    assert {row.event.topic for row in rows} >= {"customer.created", "customer.updated"}  # parked ones do not block the entity
    assert all(row.attempts == 3 for row in rows)
    assert await OutboxEvent.filter(delivered_at__isnull=True).count() == 0  # every consumer is done (delivered or parked)
    broken.down = False
    assert await retry(rows[0].id)
    report = await relay_pass(host, now=now + timedelta(hours=2))
    assert report.delivered == 1 and (await OutboxDelivery.get(id=rows[0].id)).delivered_at is not None


async def test_the_relay_runs_as_a_periodic_job_of_the_built_in_plugin(lead, settings) -> None:
    recorder = faulty.Recorder()
    host = host_with(settings, recorder)
    await customers.create_customer(lead, {"name": "Ann"}, settings)
    job = next(job for _, job in host.periodic_jobs if job.name == "rapport.outbox_relay")
    with activated(host):
        await job.run()
    assert [e.topic for e in recorder.received if e.entity == "customer"] == ["customer.created"]
    assert (await relay_until_idle(host)).delivered == 0
