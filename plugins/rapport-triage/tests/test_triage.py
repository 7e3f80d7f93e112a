"""rapport-triage end to end: categories from keywords, priorities raised for VIP and HIGH tier customers."""

import pytest

CREATE = """
mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id tier } errors { code message } } }"""
OPEN = """
mutation($input: OpenTicketInput!) {
  openTicket(input: $input) {
    ticket { id category priority tags activities { kind note } }
    errors { code message path }
  }
}"""


async def customer(client, **fields):
    data = await client.query(CREATE, input={"name": "Ann", **fields})
    assert data["createCustomer"]["errors"] == []
    return data["createCustomer"]["customer"]["id"]


async def open_ticket(client, customer_id, **fields):
    data = await client.query(OPEN, input={"customer": customer_id, **fields})
    assert data["openTicket"]["errors"] == [], data
    return data["openTicket"]["ticket"]


@pytest.mark.parametrize(
    ("subject", "category"),
    [("Invoice shows the wrong VAT", "billing"), ("Cannot log in since Monday", "access"),
     ("Printer jammed again", "hardware"), ("Website is down", "incident"), ("A question", None)],
)
async def test_keywords_choose_the_category(rapport_client, subject, category):
    ticket = await open_ticket(rapport_client, await customer(rapport_client), subject=subject)
    assert ticket["category"] == category
    if category:
        classified = [a for a in ticket["activities"] if a["kind"] == "CLASSIFIED"]
        assert "triage.keywords of rapport-triage" in classified[0]["note"]


async def test_the_openers_category_stands(rapport_client):
    ticket = await open_ticket(rapport_client, await customer(rapport_client), subject="Invoice question", category="sales")
    assert ticket["category"] == "sales"


async def test_vip_customers_get_urgent_tickets(rapport_client):
    ticket = await open_ticket(rapport_client, await customer(rapport_client, tags=["VIP"]), subject="Hello", priority="LOW")
    assert (ticket["priority"], ticket["tags"]) == ("URGENT", ["vip"])


async def test_high_tier_customers_are_raised_one_step(rapport_client):
    vip = await customer(rapport_client, tier="HIGH")
    assert (await open_ticket(rapport_client, vip, subject="Hello"))["priority"] == "HIGH"
    assert (await open_ticket(rapport_client, vip, subject="Hello", priority="HIGH"))["priority"] == "URGENT"
    ordinary = await customer(rapport_client)
    assert (await open_ticket(rapport_client, ordinary, subject="Hello"))["priority"] == "NORMAL"
