"""A plugin that raises in a validator or classifier fails the write with PLUGIN_FAILED naming it, and
the database is left exactly as it was."""

from __future__ import annotations

import pytest

from rapport.models import AuditEntry, Counter, Customer, CustomerSegmentChange, Interaction, OutboxEvent, Ticket
from rapport.plugins import activated
from tests.plugins import faulty
from tests.support.graphql import gql
from tests.support.personas import cast
from tests.support.plugins import client_for, host_with

CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } errors { code message path } } }"""
OPEN = """mutation($input: OpenTicketInput!) { openTicket(input: $input) { ticket { id } errors { code message path } } }"""
LOG = """mutation($input: LogInteractionInput!) { logInteraction(input: $input) { interaction { id } errors { code message } } }"""


async def snapshot() -> dict[str, object]:
    return {
        "customers": await Customer.all().values_list("id", "version", "segment", "tier"),
        "tickets": await Ticket.all().count(),
        "interactions": await Interaction.all().count(),
        "audit": await AuditEntry.all().count(),
        "events": await OutboxEvent.all().count(),
        "history": await CustomerSegmentChange.all().count(),
        "counters": await Counter.all().values_list("name", "value"),
    }


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


@pytest.mark.parametrize(
    ("plugin", "hook", "error"),
    [(faulty.RaisingValidator(), "validate_record", "RuntimeError"), (faulty.RaisingClassifier(), "classify_customer", "ZeroDivisionError")],
)
async def test_a_raising_validator_or_classifier_leaves_the_database_unchanged(people, settings, plugin, hook, error) -> None:
    async with client_for(settings, host_with(settings)) as client:  # a customer to log and open tickets for
        made = (await gql(client, CREATE, people["lead"].headers, input={"name": "Existing"})).json()["data"]["createCustomer"]
    before = await snapshot()
    name = type(plugin).__name__
    async with client_for(settings, host_with(settings, plugin)) as client:
        body = (await gql(client, CREATE, people["lead"].headers, input={"name": "New"})).json()
        assert body["data"]["createCustomer"]["errors"] == [{
            "code": "PLUGIN_FAILED", "path": None, "message": f"plugin '{name}' failed in {hook} ({error}); nothing was saved",
        }]
        customer = made["customer"]["id"]
        body = (await gql(client, OPEN, people["lead"].headers, input={"customer": customer, "subject": "Hi"})).json()
        assert body["data"]["openTicket"]["errors"][0]["code"] == "PLUGIN_FAILED"
        body = (await gql(client, LOG, people["lead"].headers,
                          input={"customer": customer, "channel": "CALL", "direction": "INBOUND", "subject": "Hi"})).json()
        assert body["data"]["logInteraction"]["errors"][0]["code"] == "PLUGIN_FAILED"
    assert await snapshot() == before  # no row, no audit entry, no event, no ticket number used


async def test_a_raising_ticket_classifier_opens_nothing(people, settings) -> None:
    async with client_for(settings, host_with(settings)) as client:
        made = (await gql(client, CREATE, people["lead"].headers, input={"name": "Existing"})).json()["data"]["createCustomer"]
    before = await snapshot()
    async with client_for(settings, host_with(settings, faulty.RaisingTicketClassifier())) as client:
        body = (await gql(client, OPEN, people["lead"].headers, input={"customer": made["customer"]["id"], "subject": "Hi"})).json()
    assert "plugin 'RaisingTicketClassifier' failed in classify_ticket (KeyError)" in body["data"]["openTicket"]["errors"][0]["message"]
    assert await snapshot() == before


async def test_a_classifier_returning_nonsense_is_a_plugin_failure(people, settings) -> None:
    from rapport.plugin_host import PluginFailure
    from rapport.services import customers

    from rapport.auth.authenticate import actor_for_agent
    from rapport.authz.plan import plan_for

    plan = await plan_for(await actor_for_agent(people["lead"].agent.id))
    with activated(host_with(settings, faulty.BadDecision())), pytest.raises(PluginFailure, match="returned str instead of Decision"):
        await customers.create_customer(plan, {"name": "X"}, settings)
