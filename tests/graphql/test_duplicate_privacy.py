"""A DUPLICATE error names the other customer only when the caller may read it, and the field, in full.

The oracle is the read API itself: the error may name the customer exactly when ``customer(id:)`` gives
this caller the clashing value unmasked. Every other refusal looks the same, wherever the other customer is.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import time

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from rapport.graphql.core.ids import to_global_id
from rapport.models import AuditEntry, Customer, Department
from tests.conftest import TEST_DATABASE_URL
from tests.support.graphql import bearer, gql, make_agent
from tests.support.personas import Persona, cast

CREATE = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { customer { id } errors { code message path } }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, input: $input) { customer { id email phone } errors { code message path } }
}"""
READ = "query($id: ID!) { customer(id: $id) { email phone } }"
GENERIC = {
    "email": {"code": "DUPLICATE", "message": "email is already used by another customer", "path": ["input", "email"]},
    "phone": {"code": "DUPLICATE", "message": "phone is already used by another customer", "path": ["input", "phone"]},
}


@pytest.fixture
async def people(db, settings) -> dict[str, Persona]:
    """The cast, plus an agent of a third department who reads neither sales nor support customers."""
    outsider = await make_agent("mkt.rep@example.com", "marketing", roles=("agent@marketing",))
    return {**await cast(settings), "outsider": Persona(outsider, bearer(outsider, settings))}


async def _existing(n: int, department: str, owner_id: int | None) -> Customer:
    dept = await Department.get(code=department)
    return await Customer.create(name=f"Hidden Person {n}", email=f"hidden.{n}@example.com", phone=f"+1415555{n:04d}",
                                 department=dept, owner_id=owner_id)


async def _mutate(http, headers, query, **variables) -> dict:
    body = (await gql(http, query, headers, **variables)).json()
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


async def test_duplicate_names_the_other_customer_exactly_when_the_caller_reads_the_field_in_full(http, people) -> None:
    owners = {"nobody": None, **{name: people[name].agent.id for name in ("sales", "sales2", "support")}}
    callers = ("sales", "sales2", "lead", "support", "outsider", "admin")
    refusals: dict[str, list[dict]] = {"email": [], "phone": []}
    named = 0
    for n, (department, owner, caller) in enumerate(itertools.product(("sales", "support"), owners, callers), start=1):
        other = await _existing(n, department, owners[owner])
        other_id = to_global_id("Customer", other.id)
        headers = people[caller].headers
        seen = (await gql(http, READ, headers, id=other_id)).json()["data"]["customer"] or {}
        # The same clash through a create and through an update of the caller's own customer.
        mine = await _mutate(http, headers, CREATE, input={"name": "Mine", "department": "sales" if caller == "admin" else None})
        attempts = [
            await _mutate(http, headers, CREATE, input={"name": "Copy", "email": other.email, "phone": other.phone,
                                                        **({"department": "sales"} if caller == "admin" else {})}),
            await _mutate(http, headers, UPDATE, id=mine["customer"]["id"], input={"email": other.email.upper(), "phone": other.phone}),
        ]
        for attempt in attempts:
            assert attempt["customer"] is None
            errors = {tuple(e["path"])[-1]: e for e in attempt["errors"]}
            assert set(errors) == {"email", "phone"}, (caller, department, owner, attempt)
            for field, error in errors.items():
                case = (caller, department, owner, field)
                assert "Hidden" not in error["message"] and department not in error["message"], case
                if seen.get(field) == getattr(other, field):  # the caller reads this value in full anyway
                    assert error == {"code": "DUPLICATE", "path": ["input", field],
                                     "message": f"{field} is already used by customer {other_id}"}, case
                    named += 1
                else:
                    assert other_id not in error["message"], case
                    refusals[field].append(error)
    # Another department, masked in one's own, or not readable at all: one answer, whatever the case.
    for field, errors in refusals.items():
        assert errors and all(error == GENERIC[field] for error in errors)
    assert named  # the cast includes callers who may read the other customer in full
    assert await Customer.filter(name="Copy").count() == 0


async def test_a_guessed_masked_email_is_not_confirmed_as_the_colleagues_customer(http, people) -> None:
    """A rep sees m***@example.com on a colleague's customer: a right guess and a hidden customer's value
    are refused with the same words, and nothing ties the value to that customer."""
    colleague = await _existing(1, "sales", people["sales2"].agent.id)
    elsewhere = await _existing(2, "support", None)
    shown = (await gql(http, READ, people["sales"].headers, id=to_global_id("Customer", colleague.id))).json()["data"]["customer"]
    assert shown["email"] != colleague.email and shown["email"].endswith("@example.com")  # masked
    guessed = await _mutate(http, people["sales"].headers, CREATE, input={"name": "Guess", "email": colleague.email})
    other = await _mutate(http, people["sales"].headers, CREATE, input={"name": "Guess", "email": elsewhere.email})
    assert guessed == other == {"customer": None, "errors": [GENERIC["email"]]}
    wrong = await _mutate(http, people["sales"].headers, CREATE, input={"name": "Guess", "email": "hidden.9@example.com"})
    assert wrong["errors"] == []  # dedupe itself stays: only a taken value is refused


async def test_refused_duplicates_are_audited_without_the_value(http, people) -> None:
    other = await _existing(1, "support", None)
    mine = await _mutate(http, people["sales"].headers, CREATE, input={"name": "Mine"})
    await _mutate(http, people["sales"].headers, CREATE, input={"name": "Copy", "email": other.email, "phone": other.phone})
    await _mutate(http, people["sales"].headers, UPDATE, id=mine["customer"]["id"], input={"phone": other.phone})
    entries = await AuditEntry.filter(action="customer.duplicate_refused").order_by("id")
    mine_id = int((await Customer.get(name="Mine")).id)
    assert [(e.actor, e.entity, e.entity_id, e.data) for e in entries] == [
        ("user:sales.rep@example.com", "customer", str(other.id), {"field": "email", "attempt": "create", "target": None}),
        ("user:sales.rep@example.com", "customer", str(other.id), {"field": "phone", "attempt": "create", "target": None}),
        ("user:sales.rep@example.com", "customer", str(other.id), {"field": "phone", "attempt": "update", "target": mine_id}),
    ]
    assert other.email not in str([(e.fields_changed, e.data) for e in entries])
    assert other.phone not in str([(e.fields_changed, e.data) for e in entries])
    assert (await Customer.get(id=mine_id)).phone is None  # the refused update wrote nothing


async def test_concurrent_creates_of_one_email_are_refused_alike(http, people) -> None:
    """Whether the check or the unique index (a concurrent insert) catches the clash, the answer is one."""
    results = await asyncio.gather(*(
        gql(http, CREATE, people["sales"].headers, input={"name": f"Racer {i}", "email": "racer@example.com", "owner": None})
        for i in range(20)
    ))
    outcomes = [r.json()["data"]["createCustomer"] for r in results]
    assert sum(1 for o in outcomes if o["customer"]) == 1
    refused = [o for o in outcomes if not o["customer"]]
    assert len(refused) == 19 and all(o["errors"] == [GENERIC["email"]] for o in refused)
    assert await AuditEntry.filter(action="customer.duplicate_refused").count() == 19


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="SQLite serializes writers: the check cannot miss a concurrent insert")
async def test_the_unique_index_race_follows_the_same_rule(http, people) -> None:
    """A rival insert, committed after our check and before our insert, is caught by the partial unique
    index; the answer is the same generic DUPLICATE, with its field path, as the check's."""
    support = await Department.get(code="support")
    outside = contextvars.copy_context()  # the request must not run inside the rival's transaction
    async with in_transaction() as rival:
        hidden = await Customer.create(using_db=rival, name="Hidden Rival", email="rival@example.com", department=support)
        request = gql(http, CREATE, people["sales"].headers, input={"name": "Mine", "email": "rival@example.com"})
        attempt = asyncio.create_task(request, context=outside)
        # Wait until our insert blocks on the index entry of the uncommitted rival (bounded).
        deadline = time.monotonic() + 10
        while not await _waiting_on_a_lock():
            assert time.monotonic() < deadline and not attempt.done(), "the create never reached the index"
            await asyncio.sleep(0.02)
    outcome = (await attempt).json()["data"]["createCustomer"]
    assert outcome == {"customer": None, "errors": [GENERIC["email"]]}
    entries = await AuditEntry.filter(action="customer.duplicate_refused")
    assert [(e.entity_id, e.data["field"]) for e in entries] == [(str(hidden.id), "email")]


async def _waiting_on_a_lock() -> bool:
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return rows[0]["n"] > 0
