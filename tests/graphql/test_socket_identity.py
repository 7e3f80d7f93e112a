"""A WebSocket never keeps the identity it had when it connected: every operation is authorized with the
credential and policy as they are then, the socket closes with 4401 when its token expires or stops
proving anyone, and a policy change reaches running subscriptions from their next event."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from rapport.auth.actor import RoleGrant
from rapport.auth.apikeys import create_api_key, revoke_api_key
from rapport.auth.identity_changes import set_agent_active
from rapport.auth.tokens import expires_at
from rapport.graphql import socket_handler
from rapport.graphql.core.ids import to_global_id
from rapport.models import Agent, ApiKey, Customer, Department
from tests.graphql.test_subscriptions import open_ticket, server  # noqa: F401 - the server fixture
from tests.graphql.test_subscriptions_fanout import servers  # noqa: F401 - two server processes (real leg)
from tests.support.graphql import bearer, gql, make_agent
from tests.support.live import GraphQLSocket, graphql_socket, ready
from tests.support.personas import cast

CUSTOMER = "query($id: ID!) { customer(id: $id) { name email } }"
CREATE = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { name } errors { code } } }"
TICKETS = "subscription { ticketChanged { number customer { email } } }"
REVOKE = "mutation($input: RoleGrantInput!) { revokeRole(input: $input) { version errors { code message } } }"
DENY = "mutation($input: AccessRuleInput!) { addAccessRule(input: $input) { version errors { code message } } }"
PROPAGATION_BOUND = 1.0  # seconds


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


@pytest.fixture
async def ann(db, people) -> Customer:
    """A sales customer nobody owns: a sales manager reads her email, a sales agent sees it masked."""
    return await Customer.create(name="Ann", email="ann@example.com", department=await Department.get(code="sales"))


@pytest.fixture
async def dual(db, people) -> Agent:
    """A sales agent who is also a sales manager (until the security admin revokes it)."""
    return await make_agent("dual@example.com", "sales", roles=("agent@sales", "manager@sales"))


async def query(ws: GraphQLSocket, document: str, **variables) -> dict:
    """Run one query or mutation over the socket; its ``next`` payload (the ``complete`` that follows is read)."""
    op = await ws.subscribe(document, **variables)
    message = await ws.next()
    assert message["type"] == "next" and message["id"] == op, message
    assert (await ws.next()) == {"id": op, "type": "complete"}
    return message["payload"]


async def refused(ws: GraphQLSocket, document: str, **variables) -> int | None:
    """Send an operation that must not run: the close code the socket ends with (no answer may come first)."""
    try:
        await ws.subscribe(document, **variables)
        message = await ws.receive(timeout=5)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError(f"the operation was answered: {message}")


async def as_security_admin(base_url: str, people, document: str, **variables) -> dict:
    async with httpx.AsyncClient(base_url=base_url) as http:
        body = (await gql(http, document, people["security"].headers, **variables)).json()
    payload = next(iter(body["data"].values()))
    assert payload["errors"] == [], body
    return payload


async def test_an_idle_socket_closes_with_4401_when_its_token_expires(server, settings, people, ann) -> None:
    token = bearer(people["lead"].agent, settings, ttl=2)["Authorization"]
    expires = expires_at(token.removeprefix("Bearer "), settings.signing_key)
    async with graphql_socket(server) as ws:
        assert (await ws.init({"Authorization": token}))["type"] == "connection_ack"
        shown = await query(ws, CUSTOMER, id=to_global_id("Customer", ann.id))
        assert shown["data"]["customer"]["email"] == "ann@example.com"
        assert await ws.closed_with(timeout=4) == 4401  # nothing sent: the server closed it by itself
        assert expires <= time.time() < expires + PROPAGATION_BOUND


async def test_an_operation_after_expiry_is_refused_and_closes_the_socket(server, settings, people, ann,
                                                                          monkeypatch) -> None:
    # Without the expiry timer, so that the operation itself meets the expired token.
    monkeypatch.setattr(socket_handler, "expiry", lambda context: None)
    token = bearer(people["lead"].agent, settings, ttl=2)["Authorization"]
    expires = expires_at(token.removeprefix("Bearer "), settings.signing_key)
    async with graphql_socket(server) as ws:
        await ws.init({"Authorization": token})
        assert (await query(ws, CUSTOMER, id=to_global_id("Customer", ann.id)))["data"]["customer"]["name"] == "Ann"
        await asyncio.sleep(max(expires - time.time(), 0) + 0.1)
        assert await refused(ws, CUSTOMER, id=to_global_id("Customer", ann.id)) == 4401
    async with graphql_socket(server) as ws:  # nor can a mutation create anything
        await ws.init({"Authorization": bearer(people["lead"].agent, settings, ttl=1)["Authorization"]})
        await asyncio.sleep(2.1)
        assert await refused(ws, CREATE, input={"name": "Late", "email": "late@example.com"}) == 4401
    assert not await Customer.exists(name="Late")


async def test_a_deactivated_agent_is_refused(server, people, ann) -> None:
    async with graphql_socket(server, headers=people["lead"].headers) as ws:  # identity from the upgrade header
        await ws.init()
        assert (await query(ws, CUSTOMER, id=to_global_id("Customer", ann.id)))["data"]["customer"]["name"] == "Ann"
        await set_agent_active(people["lead"].agent.id, False)
        assert await refused(ws, CUSTOMER, id=to_global_id("Customer", ann.id)) == 4401


async def test_a_revoked_api_key_is_refused(server, people, ann) -> None:
    key, raw = await create_api_key("crm-sync", [RoleGrant("agent", "sales")], await Department.get(code="sales"))
    async with graphql_socket(server) as ws:
        await ws.init({"Authorization": f"Bearer {raw}"})
        assert (await query(ws, CUSTOMER, id=to_global_id("Customer", ann.id)))["data"]["customer"]["name"] == "Ann"
        assert await revoke_api_key(key.name)
        assert await refused(ws, CUSTOMER, id=to_global_id("Customer", ann.id)) == 4401


async def test_a_revoked_role_narrows_the_next_query_and_the_next_subscription_event(
    server, settings, people, ann, dual
) -> None:
    async with graphql_socket(server) as ws:
        await ws.init({"Authorization": bearer(dual, settings)["Authorization"]})
        ann_id = to_global_id("Customer", ann.id)
        assert (await query(ws, CUSTOMER, id=ann_id))["data"]["customer"]["email"] == "ann@example.com"
        subscription = await ws.subscribe(TICKETS)
        await ready(1)
        await open_ticket(server, people["lead"], ann)
        event = await ws.next()
        assert event["id"] == subscription and event["payload"]["data"]["ticketChanged"]["customer"] == {
            "email": "ann@example.com"}

        await as_security_admin(server, people, REVOKE,
                                input={"subject": "user:dual@example.com", "role": "manager", "department": "sales"})
        changed = time.monotonic()
        # The subscription's next event follows the new plan: an agent sees an unowned customer's email masked.
        await open_ticket(server, people["lead"], ann)
        event = await ws.next(timeout=PROPAGATION_BOUND)
        assert time.monotonic() - changed < PROPAGATION_BOUND + 0.5  # opening the ticket took part of it
        assert event["id"] == subscription and event["payload"]["data"]["ticketChanged"]["customer"] == {
            "email": "a***@example.com"}
        # And so does the next query on the same socket.
        assert (await query(ws, CUSTOMER, id=ann_id))["data"]["customer"]["email"] == "a***@example.com"


async def test_a_new_deny_ends_a_running_subscription_that_lost_read(server, settings, people, ann, dual) -> None:
    async with graphql_socket(server) as ws:
        await ws.init({"Authorization": bearer(dual, settings)["Authorization"]})
        subscription = await ws.subscribe(TICKETS)
        await ready(1)
        await as_security_admin(server, people, DENY, input={
            "subject": "user:dual@example.com", "department": "*", "resource": "ticket", "action": "read",
            "effect": "DENY"})
        await open_ticket(server, people["lead"], ann)
        event = await ws.next(timeout=PROPAGATION_BOUND)
        assert event["id"] == subscription and event["type"] == "next"
        assert event["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in event["payload"]["errors"]] == ["FORBIDDEN"]
        assert (await ws.next()) == {"id": subscription, "type": "complete"}


@pytest.mark.slow
async def test_a_role_revoked_through_another_process_reaches_a_running_subscription_within_the_bound(
    servers, settings, people, ann, dual  # noqa: F811
) -> None:
    subscriber_side, admin_side = servers
    async with graphql_socket(subscriber_side) as ws:
        await ws.init({"Authorization": bearer(dual, settings)["Authorization"]})
        await ws.subscribe(TICKETS)
        await asyncio.sleep(1.0)  # the subscription starts in the server process
        await open_ticket(admin_side, people["lead"], ann)
        assert (await ws.next(timeout=10))["payload"]["data"]["ticketChanged"]["customer"] == {"email": "ann@example.com"}

        await as_security_admin(admin_side, people, REVOKE,
                                input={"subject": "user:dual@example.com", "role": "manager", "department": "sales"})
        await asyncio.sleep(PROPAGATION_BOUND)
        await open_ticket(admin_side, people["lead"], ann)
        event = await ws.next(timeout=10)
        assert event["payload"]["data"]["ticketChanged"]["customer"] == {"email": "a***@example.com"}
