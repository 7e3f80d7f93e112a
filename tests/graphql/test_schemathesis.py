"""Generated requests (schemathesis, GraphQL mode) against the app in-process, as three personas over the
demo data: no request may end in a 5xx or an INTERNAL_ERROR.

schemathesis builds every query and mutation of the published SDL with generated arguments; custom
and built-in scalars get hostile values too: texts with NUL or longer than any column, JSON nested past
the bounds, ids of every type with keys at and past the edges of the database's integer range. The cases are drawn first (hypothesis drives a synchronous
function) and then sent through the async test client, so the app runs on the test's event loop with
its database connections. Mutations write: that is fine in the test database.
"""

from __future__ import annotations

import time
from pathlib import Path

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings as hypothesis_settings, strategies as st
from schemathesis.graphql import nodes
from strawberry.relay import GlobalID

from rapport.authz.store import seed_default_policy
from rapport.models import Agent
from rapport.services.demo_data import seed_demo
from tests.support.graphql import bearer

SDL = Path(__file__).parents[2] / "schema" / "schema.graphql"
CASES_PER_PERSONA = 500  # one set of documents, sent as each persona: generating is the slow part
PERSONAS = ("admin@demo.example.com", "sales.rep@demo.example.com", "support.rep@demo.example.com")
NODE_TYPES = ("Customer", "Agent", "Department", "Interaction", "Ticket", "TicketActivity", "PolicyChange",
              "EventDelivery", "AccessRule")
JSON_KEYS = ("region", "notes", "loyalty_points", "eq", "ne", "gt", "lte", "in", "contains", "isNull", "a")

# Keys of demo rows, and the edges of the 32- and 64-bit key ranges and past them.
keys = st.one_of(st.integers(min_value=1, max_value=600),
                 st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**23, "²", "1e3"]))
global_ids = st.builds(lambda type_name, key: str(GlobalID(type_name, str(key))), st.sampled_from(NODE_TYPES), keys)
texts = st.one_of(st.text(max_size=30), st.text(alphabet="ab\x00%_", min_size=1, max_size=8),
                  st.sampled_from([33, 101, 201, 321, 60_000]).map(lambda n: "x" * n))


def _json_node(value: object) -> graphql.ValueNode:
    if isinstance(value, dict):
        return nodes.Object([graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v))
                             for k, v in value.items()])
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if value is None:
        return nodes.Null
    return nodes.String(value)


def _nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = {"a": value}
    return value


json_values = st.one_of(
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), texts),
                 lambda children: st.one_of(st.lists(children, max_size=3),
                                            st.dictionaries(st.sampled_from(JSON_KEYS), children, max_size=3)),
                 max_leaves=8),
    st.integers(min_value=10, max_value=300).map(_nested),
)

schemathesis.graphql.scalar("JSON", json_values.map(_json_node))
schemathesis.graphql.scalar("Decimal", st.one_of(st.decimals(allow_nan=False, places=2).map(str), texts).map(nodes.String))
schemathesis.graphql.scalar("String", texts.map(nodes.String))
schemathesis.graphql.scalar("ID", st.one_of(global_ids, texts).map(nodes.String))
SCHEMA = schemathesis.graphql.from_path(str(SDL))


def generated_queries(count: int, seed_value: int) -> list[str]:
    """``count`` generated documents over every query and mutation of the SDL."""
    operations = [result.ok() for result in SCHEMA.get_all_operations()]
    bodies: list[str] = []

    @seed(seed_value)
    @hypothesis_settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
                         suppress_health_check=list(HealthCheck))
    @given(case=st.sampled_from(operations).flatmap(lambda operation: operation.as_strategy()))
    def collect(case) -> None:
        bodies.append(case.body)

    collect()
    return bodies


@pytest.fixture
async def demo(db, settings):
    await seed_demo()
    await seed_default_policy()
    return {email: bearer(await Agent.get(email=email), settings) for email in PERSONAS}


async def test_generated_requests_never_fail_inside(http, demo) -> None:
    failures, sent, started = [], 0, time.monotonic()
    queries = generated_queries(CASES_PER_PERSONA, seed_value=20261207)
    for email in PERSONAS:
        for query in queries:
            response = await http.post("/graphql", json={"query": query}, headers=demo[email])
            sent += 1
            codes = [(e.get("extensions") or {}).get("code") for e in response.json().get("errors") or []] \
                if response.headers.get("content-type", "").startswith("application/json") else []
            if response.status_code >= 500 or "INTERNAL_ERROR" in codes:
                failures.append((email, response.status_code, query[:2000], response.text[:500]))
    assert sent >= len(PERSONAS) * CASES_PER_PERSONA * 0.9, sent
    assert not failures, "\n\n".join(map(str, failures[:8]))
    assert time.monotonic() - started < 120
