"""Subscription events are read with the compiled statement of the subscriber's selection, and answer
exactly as the resolvers answer them: same rows, same masks, same redactions."""

from __future__ import annotations

import pytest

from rapport.app import create_app
from rapport.compiler import events
from rapport.models import Customer, Department
from tests.graphql.test_subscriptions import open_ticket, token_of
from tests.support.live import graphql_socket, ready, serving
from tests.support.personas import cast

SHOWN = """number status priority tags createdAt department { code } assignee { name }
  customer { id name email phone address { city line1 } owner { name } openTicketCount }
  sla { policy resolutionDueAt resolutionBreached calendar }
  interactions(first: 2) { totalCount nodes { subject } }"""
TICKETS = "subscription { ticketChanged { " + SHOWN + " } }"


@pytest.mark.parametrize("persona", ["sales", "analyst", "lead"])
async def test_a_ticket_event_answers_alike_on_both_paths(db, settings, persona, monkeypatch) -> None:
    people = await cast(settings)
    sales = await Department.get(code="sales")
    ann = await Customer.create(name="Ann", email="ann@example.com", phone="+4915112345678", department=sales,
                                address_line1="1 Main St", address_city="Lyon")
    compiled_events = []
    original = events._event

    async def counted(*args, **kwargs):
        found = await original(*args, **kwargs)
        compiled_events.append(found)
        return found

    monkeypatch.setattr(events, "_event", counted)
    compiled = create_app(settings.model_copy(update={"jobs_in_process": False}), manage_database=False)
    resolvers = create_app(settings.model_copy(update={"jobs_in_process": False, "compiled_reads": False}),
                           manage_database=False)
    async with serving(compiled) as on, serving(resolvers) as off:
        async with graphql_socket(on) as a, graphql_socket(off) as b:
            for ws in (a, b):
                await ws.init({"Authorization": token_of(people[persona])})
                await ws.subscribe(TICKETS)
            await ready(2)
            await open_ticket(on, people["lead"], ann)
            first, second = (await a.next())["payload"], (await b.next())["payload"]
    assert first == second
    assert any(isinstance(event, events.CompiledEvent) for event in compiled_events)
