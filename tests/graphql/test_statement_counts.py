"""No N+1: a page of customers with nested lists costs the same number of SQL statements for 5 rows as for 50."""

from __future__ import annotations

import pytest

from rapport.authz.store import seed_default_policy
from rapport.models import Agent
from rapport.services.demo_data import seed_demo
from tests.support.graphql import bearer, gql
from tests.support.sql_count import count_statements

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
