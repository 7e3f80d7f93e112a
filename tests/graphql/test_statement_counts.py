"""No N+1: a page of customers with nested lists costs the same number of SQL statements for 5 rows as for 50.
And no per-request tax: a warm request neither authenticates nor reads the department codes with SQL."""

from __future__ import annotations

import pytest

from rapport.auth.actor import RoleGrant
from rapport.auth.apikeys import create_api_key
from rapport.authz.store import seed_default_policy
from rapport.models import Agent
from rapport.services.demo_data import seed_demo
from tests.support.graphql import bearer, gql
from rapport.sql_count import count_statements

PAGE = """
query($n: Int!) {
  customers(first: $n) {
    nodes {
      owner { name } department { name } openTicketCount
      interactions(first: 3) { nodes { subject } }
      tickets(first: 2) { nodes { number } }
    }
  }
}"""


def _counted(statements: list[str]) -> list[str]:
    # The policy engine polls the policy version at most once a second: timing, not page size, decides it.
    return [s for s in statements if "counters" not in s]


def _taxed(statements: list[str]) -> list[str]:
    """What authentication (the agent by id and ``active``, its role grants, an API key) and the department
    codes (the whole table) read: none of it may appear on a warm request."""
    return [
        s for s in statements
        if '"policy_rules"' in s or '"api_keys"' in s
        or ('FROM "agents"' in s and "active" in s.partition("WHERE")[2])
        or ('FROM "departments"' in s and "WHERE" not in s)
    ]


@pytest.mark.parametrize("persona", ["admin@demo.example.com", "sales.rep@demo.example.com"])
async def test_statements_do_not_grow_with_the_page(db, http, settings, persona) -> None:
    await seed_demo()
    await seed_default_policy()
    headers = bearer(await Agent.get(email=persona), settings)
    await gql(http, PAGE, headers, n=1)  # warm the per-process caches (plan, department ids)
    counts = {}
    for size in (5, 50):
        with count_statements() as counter:
            body = (await gql(http, PAGE, headers, n=size)).json()
        assert "errors" not in body, body
        nodes = body["data"]["customers"]["nodes"]
        assert len(nodes) == size
        assert any(n["interactions"]["nodes"] for n in nodes) and any(n["tickets"]["nodes"] for n in nodes)
        counts[size] = len(_counted(counter.statements))
        assert _taxed(counter.statements) == [], counter.statements
    assert counts[5] == counts[50], counts
    # One statement builds the page: customers, owners, departments, counts and both nested lists.
    assert counts[50] == 1, f"{counts[50]} statements for one page is more than the design allows"


async def test_a_warm_customer_detail_sends_only_its_own_reads(db, http, settings) -> None:
    """One statement (the compiled read builds the customer, its tickets and its interactions): no statement
    authenticates the caller or reads the department codes its personal fields and its tickets' scope need."""
    await seed_demo()
    await seed_default_policy()
    headers = bearer(await Agent.get(email="sales.lead@demo.example.com"), settings)
    customer = (await gql(http, "{ customers(first: 1) { nodes { id } } }", headers)).json()["data"]["customers"]["nodes"][0]
    query = """query($id: ID!) { customer(id: $id) { email phone address { city }
      tickets(first: 5) { nodes { number } } interactions(first: 5) { nodes { subject } } } }"""
    with count_statements() as counter:
        body = (await gql(http, query, headers, id=customer["id"])).json()
    assert "errors" not in body, body
    assert _taxed(counter.statements) == [], counter.statements
    assert len(_counted(counter.statements)) == 1, counter.statements


@pytest.mark.parametrize("credential", ["jwt", "api key"])
async def test_a_warm_request_authenticates_without_sql(db, http, settings, credential) -> None:
    await seed_demo()
    await seed_default_policy()
    if credential == "jwt":
        headers = bearer(await Agent.get(email="sales.rep@demo.example.com"), settings)
        roles = ["agent@sales"]
    else:
        _, raw = await create_api_key("erp-sync", [RoleGrant("analyst", "*")])
        headers = {"Authorization": f"Bearer {raw}"}
        roles = ["analyst@*"]
    first = (await gql(http, "{ viewer { roles } }", headers)).json()
    assert first == {"data": {"viewer": {"roles": roles}}}
    with count_statements() as counter:
        body = (await gql(http, "{ viewer { roles } }", headers)).json()
    assert body == first
    assert _counted(counter.statements) == [], counter.statements
