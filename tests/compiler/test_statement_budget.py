"""The compiled read path's budget: one SQL statement per root field on a warm request, whatever the page
size and the nesting depth, for a viewer who sees everything and for one whose rows and fields are scoped."""

from __future__ import annotations

import pytest

from rapport.authz.store import seed_default_policy
from rapport.models import Agent
from rapport.services.demo_data import seed_demo
from rapport.sql_count import count_statements
from tests.support.graphql import bearer, gql

FLAT = "query($n: Int!) { customers(first: $n) { nodes { id name email } } }"
NESTED = """
query($n: Int!) {
  customers(first: $n, orderBy: [{field: NAME, direction: ASC}]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id email phone address { city } owner { name department { code } } department { name } openTicketCount
      interactions(first: 3) { nodes { subject agent { name } ticket { number } } }
      tickets(first: 2, where: {status: [NEW, OPEN, PENDING]}) {
        totalCount
        nodes { number sla { resolutionDueAt remainingSeconds } assignee { name } customer { name email } interactions(first: 1) { nodes { subject } } }
      }
    }
  }
}"""
TWO_ROOTS = """
query($n: Int!) {
  tickets(first: $n, where: {status: [NEW, OPEN]}) { nodes { number customer { name } } }
  interactions(first: $n) { edges { cursor node { subject customer { email } } } }
}"""


def _statements(statements: list[str]) -> list[str]:
    # The policy engine polls the policy version at most once a second: timing, not the read, decides it.
    return [s for s in statements if "counters" not in s]


@pytest.mark.parametrize("persona", ["admin@demo.example.com", "sales.rep@demo.example.com", "support.rep@demo.example.com"])
async def test_one_statement_per_root_field_whatever_the_page_and_the_depth(db, http, settings, persona) -> None:
    await seed_demo()
    await seed_default_policy()
    headers = {**bearer(await Agent.get(email=persona), settings), "X-Rapport-Read-Path": "true"}
    for document, roots in ((FLAT, 1), (NESTED, 1), (TWO_ROOTS, 2)):
        await gql(http, document, headers, n=1)  # warm: the plan, the departments, the rendered scopes
        for size in (5, 50):
            with count_statements() as counter:
                body = (await gql(http, document, headers, n=size)).json()
            assert "errors" not in body, body
            assert set(body["extensions"]["readPath"].values()) == {"compiled"}, body["extensions"]
            assert len(_statements(counter.statements)) == roots, counter.statements
