"""rapport-webhooks end to end: a local HTTP receiver gets signed events; while it is down deliveries are
retried with backoff; once it is back everything arrives, in order; failed deliveries can be replayed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from rapport.models import WebhookDelivery
from rapport_webhooks.delivery import backoff, send_due, sign, verify

SECRET = "s3cret-s3cret-s3cret"
SAVE = """
mutation($input: WebhookSubscriptionInput!) {
  saveWebhookSubscription(input: $input) { subscription { id name topics active } errors { code path message } }
}"""
CREATE = """mutation($name: String!) { createCustomer(input: {name: $name}) { customer { id } errors { code } } }"""
UPDATE = """mutation($id: ID!, $title: String) { updateCustomer(id: $id, input: {title: $title}) { errors { code } } }"""
LOG = """query($status: String) { webhookDeliveries(status: $status) { id subscription topic status attempts responseCode lastError } }"""
REPLAY = """mutation($id: ID!) { replayWebhookDelivery(id: $id) { delivery { status attempts } errors { code } } }"""


async def admin(rapport_client):
    return await rapport_client.as_agent("admin@example.com", roles=("admin@*",), department=None)


async def subscribe(client, receiver, topics=("customer.*",)):
    data = await client.query(SAVE, input={"name": "crm-sync", "url": receiver.url, "secret": SECRET, "topics": list(topics)})
    assert data["saveWebhookSubscription"]["errors"] == []


def events_of(receiver):
    return [json.loads(item.body)["event"] for item in receiver.received]


async def test_events_are_posted_signed(rapport_client, rapport_events, receiver):
    boss = await admin(rapport_client)
    await subscribe(boss, receiver)
    await rapport_client.query(CREATE, name="Ann")
    await rapport_events.deliver()  # the relay hands the event to the plugin: one pending delivery
    report = await send_due()
    assert report.delivered == 1
    (request,) = receiver.received
    event = json.loads(request.body)["event"]
    assert event["topic"] == "customer.created" and request.headers["x-rapport-event"] == "customer.created"
    assert verify(SECRET, request.body, request.headers["x-rapport-timestamp"], request.headers["x-rapport-signature"])
    assert not verify("another-secret-value", request.body, request.headers["x-rapport-timestamp"], request.headers["x-rapport-signature"])
    assert not verify(SECRET, request.body, "1000", sign(SECRET, 1000, request.body))  # too old: a replayed capture
    log = (await boss.query(LOG))["webhookDeliveries"]
    assert [(d["subscription"], d["topic"], d["status"], d["responseCode"]) for d in log] == [("crm-sync", "customer.created", "delivered", 200)]


async def test_topics_choose_what_is_sent(rapport_client, rapport_events, receiver):
    await subscribe(await admin(rapport_client), receiver, topics=("ticket.*",))
    await rapport_client.query(CREATE, name="Ann")
    await rapport_events.deliver()
    assert await WebhookDelivery.all().count() == 0


async def test_a_receiver_that_is_down_gets_everything_in_order_once_back(rapport_client, rapport_events, receiver):
    await subscribe(await admin(rapport_client), receiver)
    receiver.stop()
    ann = (await rapport_client.query(CREATE, name="Ann"))["createCustomer"]["customer"]["id"]
    for title in ("one", "two"):
        await rapport_client.query(UPDATE, id=ann, title=title)
    await rapport_client.query(CREATE, name="Bob")
    await rapport_events.deliver()
    now = datetime.now(UTC)
    report = await send_due(now)
    assert (report.delivered, report.failed) == (0, 1)  # unreachable: one attempt, the subscription waits
    first = await WebhookDelivery.filter(attempts=1).get()
    assert "ConnectError" in first.last_error and first.next_attempt_at == now + backoff(1)
    # Ann's events wait behind her first (backing off); Bob's first is tried, one attempt per pass
    report = await send_due(now + timedelta(seconds=1))
    assert report.failed == 1 and "delivery 4:" in report.errors[0]
    assert (await send_due(now + timedelta(seconds=6))).failed == 1  # still down: Ann's second attempt
    assert await WebhookDelivery.filter(attempts=0).count() == 2  # Ann's updates: never sent out of order
    receiver.start()  # back
    report = await send_due(now + timedelta(minutes=5))
    assert report.delivered == 4 and report.failed == 0
    assert [(e["topic"], e["payload"].get("fields")) for e in events_of(receiver)] == [
        ("customer.created", ["custom", "name"]), ("customer.updated", ["title"]), ("customer.updated", ["title"]),
        ("customer.created", ["custom", "name"]),
    ]
    assert await WebhookDelivery.filter(status="delivered").count() == 4


async def test_a_receiver_answering_errors_gives_up_and_a_replay_delivers(rapport_client, rapport_events, receiver):
    boss = await admin(rapport_client)
    await subscribe(boss, receiver)
    receiver.status = 500
    await rapport_client.query(CREATE, name="Ann")
    await rapport_events.deliver()
    now = datetime.now(UTC)
    for step in range(3):
        await send_due(now + timedelta(hours=step), attempts_allowed=3)
    (failed,) = (await boss.query(LOG, status="failed"))["webhookDeliveries"]
    assert failed["attempts"] == 3 and failed["responseCode"] == 500 and failed["lastError"].startswith("HTTP 500")
    receiver.status = 200
    replayed = (await boss.query(REPLAY, id=failed["id"]))["replayWebhookDelivery"]
    assert replayed["delivery"] == {"status": "pending", "attempts": 0}
    assert (await send_due()).delivered == 1
    assert len(receiver.received) == 4  # three refused attempts, then the replay


async def test_the_relay_retrying_an_event_does_not_duplicate_deliveries(rapport_client, rapport_events, receiver, rapport_host):
    from rapport_webhooks.delivery import fan_out

    await subscribe(await admin(rapport_client), receiver)
    await rapport_client.query(CREATE, name="Ann")
    (event,) = await rapport_events.emitted("customer.created")
    assert await fan_out(event) == 1 and await fan_out(event) == 0


async def test_subscriptions_need_manage_on_integration(rapport_client, receiver):
    data = await rapport_client.query(SAVE, input={"name": "x", "url": receiver.url, "secret": SECRET, "topics": ["*"]})
    assert data["saveWebhookSubscription"]["errors"][0]["code"] == "FORBIDDEN"
    boss = await admin(rapport_client)
    data = await boss.query(SAVE, input={"name": "x", "url": "ftp://nowhere", "secret": "short", "topics": []})
    assert {tuple(e["path"]) for e in data["saveWebhookSubscription"]["errors"]} == {
        ("input", "url"), ("input", "secret"), ("input", "topics"),
    }


async def test_the_send_job_is_a_periodic_job(rapport_host):
    assert "rapport-webhooks.send" in {job.name for _, job in rapport_host.periodic_jobs}
