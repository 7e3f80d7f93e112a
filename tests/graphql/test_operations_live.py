"""The live examples in schema/operations/ (subscriptions) run over a WebSocket against the demo data.

Each one subscribes as the persona its file names, a change is made through the API as a frontend
would make it, and the example must deliver that change - data, no errors. Their form and the
coverage of every Subscription root field are checked with the other examples (test_operations.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from rapport.app import create_app
from rapport.authz.store import seed_default_policy
from rapport.graphql.core.ids import to_global_id
from rapport.models import Agent, Customer, Ticket, TicketStatus
from rapport.services.demo_data import seed_demo
from tests.graphql.test_operations import OPERATIONS, _read
from tests.support.graphql import bearer, gql
from tests.support.live import graphql_socket, ready, serving

COMMENT = """mutation($id: ID!) { addTicketActivity(id: $id, kind: COMMENT, note: "Looking into it") {
  errors { code message } } }"""
LOG = """mutation($input: LogInteractionInput!) { logInteraction(input: $input) { errors { code message } } }"""


@dataclass
class Live:
    """An example's variables, and the change that must reach it, made as the example's persona."""

    variables: Callable[[Agent], Awaitable[dict[str, Any]]]
    change: Callable[[httpx.AsyncClient, dict[str, str], Agent], Awaitable[Any]]
    expect: Callable[[dict[str, Any], Any], None]


async def _queue_variables(agent: Agent) -> dict[str, Any]:
    return {}  # the example's default: the unfinished tickets


async def _comment_on_an_unfinished_ticket(http: httpx.AsyncClient, headers: dict[str, str], agent: Agent) -> str:
    ticket = await Ticket.filter(assignee_id=agent.id, status__in=[TicketStatus.NEW, TicketStatus.OPEN]).order_by("id").first()
    assert ticket is not None, "the demo gives every persona unfinished tickets"
    body = (await gql(http, COMMENT, headers, id=to_global_id("Ticket", ticket.id))).json()
    assert body["data"]["addTicketActivity"]["errors"] == [], body
    return ticket.number


def _the_ticket(data: dict[str, Any], number: str) -> None:
    shown = data["ticketChanged"]
    assert shown["number"] == number and shown["status"] in ("NEW", "OPEN") and shown["sla"]["resolutionDueAt"]


async def _own_customer(agent: Agent) -> Customer:
    customer = await Customer.filter(owner_id=agent.id, deleted_at=None).order_by("id").first()
    assert customer is not None
    return customer


async def _timeline_variables(agent: Agent) -> dict[str, Any]:
    return {"customer": to_global_id("Customer", (await _own_customer(agent)).id)}


async def _log_a_call(http: httpx.AsyncClient, headers: dict[str, str], agent: Agent) -> str:
    customer = await _own_customer(agent)
    body = (await gql(http, LOG, headers, input={"customer": to_global_id("Customer", customer.id), "channel": "CALL",
                                                  "direction": "OUTBOUND", "subject": "Live timeline check"})).json()
    assert body["data"]["logInteraction"]["errors"] == [], body
    return customer.name


def _the_call(data: dict[str, Any], customer_name: str) -> None:
    shown = data["interactionLogged"]
    assert (shown["subject"], shown["channel"], shown["customer"]["name"]) == ("Live timeline check", "CALL", customer_name)
    assert shown["agent"]["name"]


LIVE = {
    "TicketQueueLive": Live(_queue_variables, _comment_on_an_unfinished_ticket, _the_ticket),
    "CustomerTimelineLive": Live(_timeline_variables, _log_a_call, _the_call),
}


def test_every_live_example_has_an_entry_and_every_entry_a_file() -> None:
    files = {path.stem for path in OPERATIONS.glob("*.graphql") if path.stem.endswith("Live")}
    assert files == set(LIVE)


@pytest.mark.parametrize("name", list(LIVE))
async def test_live_example_delivers_the_change_it_exists_for(db, settings, name: str) -> None:
    await seed_demo()
    await seed_default_policy()
    example, live = _read(name), LIVE[name]
    agent = await Agent.get(email=example.persona)
    headers = bearer(agent, settings)
    app = create_app(settings.model_copy(update={"jobs_in_process": False}), manage_database=False)
    async with serving(app) as base_url, graphql_socket(base_url) as ws:
        assert (await ws.init({"Authorization": headers["Authorization"]}))["type"] == "connection_ack"
        await ws.subscribe(example.text, **await live.variables(agent))
        await ready(1)
        async with httpx.AsyncClient(base_url=base_url) as http:
            changed = await live.change(http, headers, agent)
        message = await ws.next()
        assert message["type"] == "next" and "errors" not in message["payload"], message
        live.expect(message["payload"]["data"], changed)
