"""A customer the caller may not read answers every write exactly like one that does not exist."""

from __future__ import annotations

import pytest

from rapport.graphql.core.ids import to_global_id
from rapport.models import Customer, Department
from tests.support.graphql import gql
from tests.support.personas import cast

UPDATE = """
mutation($id: ID!, $input: UpdateCustomerInput!, $v: Int) {
  updateCustomer(id: $id, input: $input, expectedVersion: $v) { customer { id } errors { code message path } }
}"""
DELETE = "mutation($id: ID!) { deleteCustomer(id: $id) { customer { id } errors { code message path } } }"
MERGE = """
mutation($s: ID!, $d: [ID!]!) {
  mergeCustomers(survivor: $s, duplicates: $d) { customer { id } merged errors { code message path } }
}"""


@pytest.fixture
async def setting(db, settings):
    people = await cast(settings)
    sales, support = await Department.get(code="sales"), await Department.get(code="support")
    lead = people["lead"]
    mine = [await Customer.create(name=f"Mine {i}", department=sales, owner_id=lead.agent.id) for i in range(2)]
    hidden = await Customer.create(name="Hidden", email="hidden@example.com", department=support)
    missing = to_global_id("Customer", hidden.id + 1000)
    return lead.headers, [to_global_id("Customer", c.id) for c in mine], to_global_id("Customer", hidden.id), missing


async def _answer(http, headers, query, **variables) -> dict:
    body = (await gql(http, query, headers, **variables)).json()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (UPDATE, lambda mine, other: {"id": other, "input": {"name": "X"}}),
        # a stale version must not confirm the row (nor tell its version)
        (UPDATE, lambda mine, other: {"id": other, "input": {"name": "X"}, "v": 7}),
        # nor may a clash of its email come before the scope check
        (UPDATE, lambda mine, other: {"id": other, "input": {"email": "hidden@example.com"}}),
        (DELETE, lambda mine, other: {"id": other}),
        (MERGE, lambda mine, other: {"s": other, "d": [mine[0]]}),
        (MERGE, lambda mine, other: {"s": mine[0], "d": [mine[1], other]}),
    ],
    ids=["update", "update-versioned", "update-own-email", "delete", "merge-survivor", "merge-duplicate"],
)
async def test_an_unreadable_customer_answers_like_a_missing_one(http, setting, query, variables) -> None:
    headers, mine, hidden, missing = setting
    unreadable = await _answer(http, headers, query, **variables(mine, hidden))
    absent = await _answer(http, headers, query, **variables(mine, missing))
    assert unreadable == absent
    assert [e["code"] for e in next(iter(unreadable.values()))["errors"]] == ["NOT_FOUND"]
    row = await Customer.get(name="Hidden")
    assert row.version == 1 and row.deleted_at is None
    assert await Customer.filter(deleted_at__isnull=True).count() == 3  # nothing merged away
