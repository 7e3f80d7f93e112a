"""No N+1: a page of customers with nested lists costs the same number of SQL statements for 5 rows as for 50."""

from __future__ import annotations

import pytest

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
    assert counts[5] == counts[50], counts
    assert counts[50] <= 12, f"{counts[50]} statements for one page is more than the design allows"


async def test_fields_of_one_request_share_one_read_of_the_department_codes(db, http, settings) -> None:
    """A customer's personal fields and its tickets' scope all need the department codes: one read."""
    await seed_demo()
    await seed_default_policy()
    headers = bearer(await Agent.get(email="sales.lead@demo.example.com"), settings)
    customer = (await gql(http, "{ customers(first: 1) { nodes { id } } }", headers)).json()["data"]["customers"]["nodes"][0]
    query = """query($id: ID!) { customer(id: $id) { email phone address { city }
      tickets(first: 5) { nodes { number } } interactions(first: 5) { nodes { subject } } } }"""
    with count_statements() as counter:
        body = (await gql(http, query, headers, id=customer["id"])).json()
    assert "errors" not in body, body
    reads = [s for s in counter.statements if 'FROM "departments"' in s and '"code"' in s and "WHERE" not in s]
    assert len(reads) == 1, reads
