"""Event deliveries for integration admins: the outbox's state, parked deliveries, retrying one -
behind ``integration`` permissions, audited, never showing an event's payload."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from rapport.models import AuditEntry, OutboxDelivery, OutboxEvent
from tests.support.graphql import gql
from tests.support.personas import cast

STATUS = "{ outboxStatus { pendingEvents retrying parked } }"
PARKED = """query($consumer: String, $first: Int, $after: ID) { parkedDeliveries(consumer: $consumer, first: $first, after: $after) {
  id consumer topic entity entityId attempts lastError parkedAt deliveredAt } }"""
RETRY = "mutation($id: ID!) { retryDelivery(id: $id) { delivery { id attempts parkedAt } errors { code message path } } }"


@pytest.fixture
async def outbox(db):
    """Three parked deliveries (two consumers), one retrying, one delivered; the events hold personal data."""
    now = datetime.now(UTC)
    rows = {}
    for name, consumer, state in (("old", "rapport-webhooks", "parked"), ("crm", "crm-sync", "parked"),
                                  ("new", "rapport-webhooks", "parked"), ("busy", "crm-sync", "retrying"),
                                  ("done", "crm-sync", "delivered")):
        event = await OutboxEvent.create(topic="customer.created", entity="customer", entity_id=name,
                                         payload={"email": f"{name}@example.com"}, available_at=now,
                                         delivered_at=now if state == "delivered" else None)
        rows[name] = await OutboxDelivery.create(
            event=event, consumer=consumer, attempts=8 if state == "parked" else 2, last_error="HTTP 503",
            parked_at=now - timedelta(minutes=len(rows)) if state == "parked" else None,
            delivered_at=now if state == "delivered" else None)
    return rows


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


async def test_admins_see_the_outbox_and_its_parked_deliveries_newest_first(http, outbox, people) -> None:
    headers = people["admin"].headers
    status = (await gql(http, STATUS, headers)).json()["data"]["outboxStatus"]
    others = await OutboxEvent.exclude(topic="customer.created").filter(delivered_at__isnull=True).count()  # the personas' grants
    assert status == {"pendingEvents": 4 + others, "retrying": 1, "parked": 3}
    page = (await gql(http, PARKED, headers, first=2)).json()["data"]["parkedDeliveries"]
    assert [row["entityId"] for row in page] == ["new", "crm"]
    rest = (await gql(http, PARKED, headers, first=2, after=page[-1]["id"])).json()["data"]["parkedDeliveries"]
    assert [row["entityId"] for row in rest] == ["old"]
    assert rest[0] | {"id": None, "parkedAt": None} == {
        "id": None, "consumer": "rapport-webhooks", "topic": "customer.created", "entity": "customer", "entityId": "old",
        "attempts": 8, "lastError": "HTTP 503", "parkedAt": None, "deliveredAt": None}
    webhooks = (await gql(http, PARKED, headers, consumer="rapport-webhooks")).json()["data"]["parkedDeliveries"]
    assert [row["entityId"] for row in webhooks] == ["new", "old"]
    assert "example.com" not in str(page + rest)  # the events' payloads (personal data) are never shown


@pytest.mark.parametrize("persona", ["sales", "lead", "analyst", "security"])
async def test_nobody_else_sees_or_retries_deliveries(http, outbox, people, persona) -> None:
    headers = people[persona].headers
    for query in (STATUS, PARKED):
        body = (await gql(http, query, headers)).json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = (await gql(http, RETRY, headers, id=_id(outbox["old"]))).json()
    assert body["data"]["retryDelivery"]["errors"][0]["code"] == "FORBIDDEN"
    assert (await OutboxDelivery.get(id=outbox["old"].id)).parked_at is not None


async def test_a_retry_queues_the_delivery_again_once_and_is_audited(http, outbox, people) -> None:
    headers = people["admin"].headers
    target = outbox["old"]
    results = await asyncio.gather(*(gql(http, RETRY, headers, id=_id(target)) for _ in range(3)))
    payloads = [r.json()["data"]["retryDelivery"] for r in results]
    done = [p for p in payloads if not p["errors"]]
    assert len(done) == 1 and done[0]["delivery"] == {"id": _id(target), "attempts": 0, "parkedAt": None}
    assert sorted(p["errors"][0]["code"] for p in payloads if p["errors"]) == ["NOT_FOUND", "NOT_FOUND"]
    row = await OutboxDelivery.get(id=target.id).select_related("event")
    assert (row.parked_at, row.attempts, row.event.delivered_at) == (None, 0, None)  # the relay's next pass takes it
    (entry,) = await AuditEntry.filter(action="retry_delivery")
    assert (entry.actor, entry.entity, entry.entity_id) == ("user:admin@example.com", "event_delivery", str(target.id))
    for wrong in (_id(outbox["busy"]), _id(outbox["done"]), "not-an-id"):  # not parked, delivered, malformed
        body = (await gql(http, RETRY, headers, id=wrong)).json()["data"]["retryDelivery"]
        assert body["errors"][0]["code"] == "NOT_FOUND" and body["errors"][0]["path"] == ["id"]


def _id(row: OutboxDelivery) -> str:
    from rapport.graphql.core.ids import to_global_id

    return to_global_id("EventDelivery", row.id)
