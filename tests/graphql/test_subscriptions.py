"""Live subscriptions over graphql-transport-ws: authentication on connection_init, and every event
passing the subscriber's row scope and field masking exactly as a query would."""

from __future__ import annotations

import httpx
import pytest

from rapport.app import create_app
from rapport.graphql.core.ids import to_global_id
from rapport.models import Customer, Department
from tests.support.graphql import gql
from tests.support.live import graphql_socket, ready, serving
from tests.support.personas import cast

SHOWN = "number status department { code } customer { name email phone } sla { policy remainingSeconds }"
TICKETS = "subscription($where: TicketFilter) { ticketChanged(where: $where) { " + SHOWN + " } }"
OPEN = "mutation($input: OpenTicketInput!) { openTicket(input: $input) { ticket { id number } errors { code } } }"


@pytest.fixture
async def server(db, settings):
    app = create_app(settings.model_copy(update={"jobs_in_process": False}), manage_database=False)
    async with serving(app) as base_url:
        yield base_url


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


@pytest.fixture
async def customers(db, people):
    sales, support = await Department.get(code="sales"), await Department.get(code="support")
    return {
        "ann": await Customer.create(name="Ann", email="ann@example.com", phone="+4915112345678", department=sales),
        "bob": await Customer.create(name="Bob", email="bob@example.com", department=support),
    }


def token_of(persona) -> str:
    return persona.headers["Authorization"]


async def open_ticket(base_url: str, persona, customer: Customer, **fields) -> dict:
    async with httpx.AsyncClient(base_url=base_url) as http:
        body = (await gql(http, OPEN, persona.headers, input={"customer": to_global_id("Customer", customer.id),
                                                               "subject": "Printer broken", **fields})).json()
    assert body["data"]["openTicket"]["errors"] == [], body
    return body["data"]["openTicket"]["ticket"]


async def as_query(base_url: str, persona, number: str) -> dict:
    async with httpx.AsyncClient(base_url=base_url) as http:
        body = (await gql(http, "query($n: String) { ticket(number: $n) { " + SHOWN + " } }", persona.headers, n=number)).json()
    return body["data"]["ticket"]


def same_but_the_clock(event: dict, queried: dict) -> bool:
    """Equal, except that the SLA clock ran on between the event and the query (a few seconds on a busy machine)."""
    event_sla, queried_sla = event["sla"], queried["sla"]
    before, after = event_sla["remainingSeconds"], queried_sla["remainingSeconds"]
    ticking = before == after or (None not in (before, after) and 0 <= before - after <= 5)
    return ticking and {**event, "sla": {**event_sla, "remainingSeconds": None}} == {
        **queried, "sla": {**queried_sla, "remainingSeconds": None}}


async def test_connections_authenticate_on_init_before_any_operation(server, people) -> None:
    async with graphql_socket(server) as ws:  # no token at all
        await ws.send({"type": "connection_init", "payload": {}})
        assert await ws.closed_with() == 4403
    async with graphql_socket(server) as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": "Bearer not-a-token"}})
        assert await ws.closed_with() == 4403
    async with graphql_socket(server) as ws:  # an operation before the connection is acknowledged
        await ws.subscribe(TICKETS)
        assert await ws.closed_with() == 4401
    async with graphql_socket(server) as ws:
        assert (await ws.init({"Authorization": token_of(people["sales"])}))["type"] == "connection_ack"
    async with graphql_socket(server, headers=people["sales"].headers) as ws:  # or a header on the upgrade
        assert (await ws.init())["type"] == "connection_ack"
    with pytest.raises(Exception):  # a header that is present must be valid
        async with graphql_socket(server, headers={"Authorization": "Bearer nope"}) as ws:
            await ws.init()


async def test_a_sales_agent_never_receives_a_support_ticket_nor_a_hidden_field(server, people, customers) -> None:
    async with graphql_socket(server) as sales, graphql_socket(server) as analyst:
        await sales.init({"Authorization": token_of(people["sales"])})
        await analyst.init({"authorization": token_of(people["analyst"])})
        await sales.subscribe(TICKETS)
        await analyst.subscribe(TICKETS)
        await ready(2)
        on_bob = await open_ticket(server, people["support"], customers["bob"])  # a support ticket
        on_ann_in_support = await open_ticket(server, people["support"], customers["ann"], department="support")
        on_ann = await open_ticket(server, people["lead"], customers["ann"])  # sales, not the sales agent's own

        # The analyst reads every department, never personal data: hidden (null), as in a query.
        seen = [(await analyst.next())["payload"] for _ in range(3)]
        assert [p["data"]["ticketChanged"]["number"] for p in seen] == [t["number"] for t in (on_bob, on_ann_in_support, on_ann)]
        for payload in seen:
            shown = payload["data"]["ticketChanged"]
            assert shown["customer"]["email"] is None and shown["customer"]["phone"] is None
            assert same_but_the_clock(shown, await as_query(server, people["analyst"], shown["number"]))
            assert {"field": "Customer.email", "mode": "hidden", "count": 1} in payload["extensions"]["redactions"]

        # The sales agent: only the sales ticket - the two support tickets came first and were never sent.
        payload = (await sales.next())["payload"]
        shown = payload["data"]["ticketChanged"]
        assert shown["number"] == on_ann["number"] and shown["department"] == {"code": "sales"}
        assert shown["customer"]["email"] == "a***@example.com"  # masked: not the agent's own customer
        assert same_but_the_clock(shown, await as_query(server, people["sales"], on_ann["number"]))
        assert {"field": "Customer.email", "mode": "masked", "count": 1} in payload["extensions"]["redactions"]
        await sales.nothing()


async def test_where_filters_on_the_ticket_as_it_is_after_the_change(server, people, customers) -> None:
    async with graphql_socket(server) as ws:
        await ws.init({"Authorization": token_of(people["lead"])})
        await ws.subscribe(TICKETS, where={"priority": ["URGENT"]})
        await ready(1)
        await open_ticket(server, people["lead"], customers["ann"], priority="LOW")
        urgent = await open_ticket(server, people["lead"], customers["ann"], priority="URGENT")
        message = await ws.next()
        assert message["payload"]["data"]["ticketChanged"]["number"] == urgent["number"]
        async with httpx.AsyncClient(base_url=server) as http:
            done = await gql(http, "mutation($id: ID!) { transitionTicket(id: $id, to: RESOLVED) { errors { code } } }",
                             people["lead"].headers, id=urgent["id"])
        assert done.json()["data"]["transitionTicket"]["errors"] == []
        message = await ws.next()
        assert message["payload"]["data"]["ticketChanged"]["status"] == "RESOLVED"


async def test_interactions_of_one_customer(server, people, customers) -> None:
    query = "subscription($c: ID) { interactionLogged(customer: $c) { subject customer { name } } }"
    log = ("mutation($input: LogInteractionInput!) { logInteraction(input: $input) { interaction { id } errors { code } } }")
    sales = Customer(name="Cy", department=await Department.get(code="sales"))
    await sales.save()
    async with graphql_socket(server) as ws:
        await ws.init({"Authorization": token_of(people["lead"])})
        await ws.subscribe(query, c=to_global_id("Customer", customers["ann"].id))
        await ready(1)
        async with httpx.AsyncClient(base_url=server) as http:
            for customer, subject in ((sales, "to Cy"), (customers["ann"], "to Ann")):
                body = await gql(http, log, people["lead"].headers, input={
                    "customer": to_global_id("Customer", customer.id), "channel": "CALL", "direction": "OUTBOUND",
                    "subject": subject})
                assert body.json()["data"]["logInteraction"]["errors"] == []
        message = await ws.next()
        assert message["payload"]["data"]["interactionLogged"] == {"subject": "to Ann", "customer": {"name": "Ann"}}
        await ws.nothing()


async def test_a_subscription_needs_the_read_permission(server, people) -> None:
    async with graphql_socket(server) as ws:
        await ws.init({"Authorization": token_of(people["security"])})  # security admins read no tickets
        await ws.subscribe(TICKETS)
        message = await ws.next()
        assert message["type"] in ("error", "next")
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_graphiql_sends_its_headers_pane_as_the_connection_payload(http) -> None:
    page = (await http.get("/graphql", headers={"Accept": "text/html"})).text
    assert "wsConnectionParams: (options && options.headers) || {}" in page  # the IDE template was patched
