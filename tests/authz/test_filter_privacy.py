"""Filters, search, sorting and counts on personal fields never depend on a value the viewer sees masked
or null (both legs).

The property test seeds customers with varied owners (none included) and departments once, then, for
generated filter trees and orders as several personas, runs a list query, changes only the values that
persona may not read in full (email, phone, the test plugin's personal custom field ``nickname``; set
to other values or to null), runs it again and requires the same answer: ids, order, cursors, totals.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st

from tortoise.transactions import in_transaction

from rapport.authz.plugin_policies import sync_plugin_policies
from rapport.models import Customer, Department
from rapport.plugins import activated
from tests.plugins import loyalty
from tests.support.graphql import gql
from tests.support.personas import cast
from tests.support.plugins import client_for, host_with

PERSONAS = ("sales", "sales2", "lead", "support", "analyst")
PREFIXES = ("michael.w", "michael.x", "anna", "bob")
NICKNAMES = ("Mike", "Mia", "Ann", "bob")
OWNERS = (None, "sales", None, "sales2", None, "support", None, "lead")  # half unowned, as API keys create them
DEPARTMENTS = ("sales", "support", "marketing")
ROWS = [(f"c{i:02d}", DEPARTMENTS[i % 3], OWNERS[i % 8]) for i in range(15)]

LIST = """
query($where: CustomerFilter, $orderBy: [CustomerOrder!], $first: Int, $after: String) {
  customers(where: $where, orderBy: $orderBy, first: $first, after: $after) {
    totalCount edges { cursor node { id name email phone customFields { nickname } } } pageInfo { hasNextPage endCursor }
  }
}"""
SEEN = "{ customers(first: 100) { nodes { id name email phone customFields { nickname } } } }"


def email(row: int, variant: int) -> str:
    return f"{PREFIXES[variant]}.{row}@x.org"  # unique per row: live emails are unique


def phone(row: int, variant: int) -> str:
    return f"+4915{variant}{row:07d}"


@pytest.fixture
async def world(db, settings):
    """The personas, and 15 customers in three departments, owned by nobody or by one of them."""
    host = host_with(settings, loyalty)
    people = await cast(settings)
    await sync_plugin_policies(host)
    departments = {d.code: d for d in await Department.all()}
    rows = []
    for i, (name, department, owner) in enumerate(ROWS):
        rows.append(await Customer.create(
            name=name, company="Acme" if i % 2 else None, department=departments[department],
            owner=people[owner].agent if owner else None, email=email(i, i % 4), phone=phone(i, i % 4),
            custom={"nickname": NICKNAMES[i % 4]},
        ))
    with activated(host):
        # Hundreds of list queries a minute would drain the query-cost budget, which is not under test here.
        async with client_for(settings.model_copy(update={"rate_limit_enabled": False}), host) as client:
            yield client, people, rows


async def hidden_rows(client: Any, headers: dict[str, str], rows: list[Customer]) -> dict[str, set[int]]:
    """Per personal field, the rows whose stored value the viewer does not get in full (or not at all)."""
    body = (await gql(client, SEEN, headers)).json()
    seen = {node["name"]: node for node in body["data"]["customers"]["nodes"]}
    hidden: dict[str, set[int]] = {"email": set(), "phone": set(), "nickname": set()}
    for i, row in enumerate(rows):
        node = seen.get(row.name)
        if node is None or node["email"] != row.email:
            hidden["email"].add(i)
        if node is None or node["phone"] != row.phone:
            hidden["phone"].add(i)
        if node is None or node["customFields"]["nickname"] != row.custom["nickname"]:
            hidden["nickname"].add(i)
    return hidden


async def set_values(rows: list[Customer], hidden: dict[str, set[int]], variants: dict[str, list[int | None]] | None) -> None:
    """Give the hidden values of ``rows`` the ``variants`` (None: as seeded; a None variant: null)."""
    async with in_transaction():  # one commit, not one per row
        await _set_values(rows, hidden, variants)


async def _set_values(rows: list[Customer], hidden: dict[str, set[int]], variants: dict[str, list[int | None]] | None) -> None:
    for i in set().union(*hidden.values()):
        row = rows[i]
        changes: dict[str, Any] = {}
        if i in hidden["email"]:
            v = variants["email"][i] if variants else i % 4
            changes["email"] = None if v is None else email(i, v)
        if i in hidden["phone"]:
            v = variants["phone"][i] if variants else i % 4
            changes["phone"] = None if v is None else phone(i, v)
        if i in hidden["nickname"]:
            v = variants["nickname"][i] if variants else i % 4
            changes["custom"] = {} if v is None else {"nickname": NICKNAMES[v]}
        await Customer.filter(id=row.id).update(**changes)


PERSONAL = ("email", "phone", "customFields")


def observed(body: dict[str, Any]) -> Any:
    """What the viewer sees of a list answer that must not depend on hidden values: rows, order, cursors,
    totals, error texts, and how many values were masked or withheld (the masked forms themselves are
    derived from the value by design, so they are left out)."""
    data = body.get("data")
    if data and data.get("customers"):
        for edge in data["customers"]["edges"]:
            for name in PERSONAL:
                edge["node"].pop(name, None)
    redactions = (body.get("extensions") or {}).get("redactions")
    return data, [error.get("message") for error in body.get("errors") or []], redactions


# --- the demo's repro, and sorting --------------------------------------------------------------------


async def test_not_startswith_on_an_unowned_customers_masked_email_tells_nothing(world) -> None:
    client, people, rows = world
    target = next(row for row, (_, department, owner) in zip(rows, ROWS) if department == "sales" and owner is None)
    node = (await gql(client, SEEN, people["sales"].headers)).json()["data"]["customers"]["nodes"]
    global_id = next(n["id"] for n in node if n["name"] == target.name)
    assert next(n["email"] for n in node if n["name"] == target.name) != target.email  # masked for this agent
    totals = []
    for guess in (target.email[:9], "michael.w", "michael.x", "zzz"):
        where = {"id": {"eq": global_id}, "not": {"email": {"startsWith": guess}}}
        body = (await gql(client, LIST, people["sales"].headers, where=where)).json()
        totals.append(body["data"]["customers"]["totalCount"])
    assert totals == [1, 1, 1, 1]  # a condition on a masked field is false, so its not is true


async def test_sorting_by_a_personal_custom_field_sorts_hidden_values_as_null(world) -> None:
    client, people, rows = world
    headers = people["sales2"].headers
    hidden = await hidden_rows(client, headers, rows)
    readable = [i for i, (_, department, _) in enumerate(ROWS) if department == "sales" and i not in hidden["nickname"]]
    masked = [i for i, (_, department, _) in enumerate(ROWS) if department == "sales" and i in hidden["nickname"]]
    assert readable and masked
    sales = {"department": ["sales"]}

    async def names(direction: str, **page: Any) -> tuple[list[str], dict[str, Any]]:
        order = [{"field": "CUSTOM", "customField": "nickname", "direction": direction}]
        body = (await gql(client, LIST, headers, where=sales, orderBy=order, **page)).json()
        assert "errors" not in body, body
        data = body["data"]["customers"]
        return [edge["node"]["name"] for edge in data["edges"]], data

    ascending, _ = await names("ASC")
    assert set(ascending[:len(readable)]) == {rows[i].name for i in readable}  # readable values first
    assert ascending[len(readable):] == [rows[i].name for i in sorted(masked, key=lambda i: rows[i].id)]  # as NULLs: by id
    descending, _ = await names("DESC")
    assert descending[len(readable):] == [rows[i].name for i in sorted(masked, key=lambda i: rows[i].id, reverse=True)]

    first, page = await names("ASC", first=len(readable) + 1)
    rest, _ = await names("ASC", after=page["pageInfo"]["endCursor"])
    assert first + rest == ascending  # a cursor on a hidden row pages like one on a NULL
    before = observed((await gql(client, LIST, headers, where=sales,
                                 orderBy=[{"field": "CUSTOM", "customField": "nickname"}])).json())
    await set_values(rows, hidden, {"email": [None] * len(rows), "phone": [None] * len(rows),
                                    "nickname": [(i * 3) % 4 for i in range(len(rows))]})
    after = observed((await gql(client, LIST, headers, where=sales,
                                orderBy=[{"field": "CUSTOM", "customField": "nickname"}])).json())
    assert after == before  # cursors included: they carry no hidden value


# --- the property ------------------------------------------------------------------------------------

any_row = st.integers(0, len(ROWS) - 1)
any_variant = st.integers(0, len(PREFIXES) - 1)


def text_filter(values: st.SearchStrategy[str], fragments: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda v: {"eq": v}, values), st.builds(lambda v: {"ne": v}, values),
        st.builds(lambda v: {"in": v}, st.lists(values, min_size=1, max_size=3)),
        st.builds(lambda v: {"contains": v}, fragments), st.builds(lambda v: {"startsWith": v}, fragments),
        st.builds(lambda v: {"isNull": v}, st.booleans()),
    )


emails = st.builds(email, any_row, any_variant)
phones = st.builds(phone, any_row, any_variant)
email_fragments = st.sampled_from((*PREFIXES, "m", "michael", "michael.w.", "x.org", ".1", "@x", "A"))
phone_fragments = st.sampled_from(("+", "+4915", "+49150", "+49151", "0000001", "5"))
nickname_condition = st.one_of(
    st.builds(lambda v: {"eq": v}, st.sampled_from(NICKNAMES)), st.builds(lambda v: {"ne": v}, st.sampled_from(NICKNAMES)),
    st.builds(lambda v: {"in": v}, st.lists(st.sampled_from(NICKNAMES), min_size=1, max_size=2)),
    st.builds(lambda v: {"contains": v}, st.sampled_from(("M", "i", "an", "b"))),
    st.builds(lambda v: {"isNull": v}, st.booleans()),
)
personal = st.one_of(
    st.builds(lambda f: {"email": f}, text_filter(emails, email_fragments)),
    st.builds(lambda f: {"phone": f}, text_filter(phones, phone_fragments)),
    st.builds(lambda c: {"custom": {"nickname": c}}, nickname_condition),
    st.builds(lambda s: {"search": s}, st.sampled_from(("michael", "x.org", "anna", "+4915", "c1", "acme", "bob"))),
)
leaf = st.one_of(
    personal, st.builds(lambda part: {"not": part}, personal),
    st.builds(lambda f: {"name": f}, text_filter(st.sampled_from([name for name, _, _ in ROWS]), st.sampled_from(("c0", "c1")))),
    st.builds(lambda b: {"owner": {"isNull": b}}, st.booleans()),
    st.builds(lambda d: {"department": d}, st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=2)),
)
trees = st.recursive(leaf, lambda inner: st.one_of(
    st.builds(lambda parts: {"and": parts}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda parts: {"or": parts}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda part: {"not": part}, inner),
    st.builds(lambda mine, part: {**mine, "not": part}, leaf, inner),
), max_leaves=6)
orders = st.sampled_from((None, [{"field": "NAME"}], [{"field": "CUSTOM", "customField": "nickname"}],
                          [{"field": "CUSTOM", "customField": "nickname", "direction": "DESC"}]))
variants = st.lists(st.one_of(st.none(), any_variant), min_size=len(ROWS), max_size=len(ROWS))


@pytest.fixture
def hidden_by_persona() -> dict[str, dict[str, set[int]]]:
    """Filled once per test: the world is seeded once, and hypothesis's examples share the fixture."""
    return {}


@hypothesis_settings(max_examples=40, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(where=trees, order=orders, page=st.sampled_from((100, 3)),
       hidden_emails=variants, hidden_phones=variants, hidden_nicknames=variants)
async def test_answers_do_not_depend_on_values_the_viewer_cannot_read(
    world, hidden_by_persona, where, order, page, hidden_emails, hidden_phones, hidden_nicknames,
) -> None:
    client, people, rows = world
    changed = {"email": hidden_emails, "phone": hidden_phones, "nickname": hidden_nicknames}
    for persona in PERSONAS:
        headers = people[persona].headers
        if persona not in hidden_by_persona:
            hidden_by_persona[persona] = await hidden_rows(client, headers, rows)
        hidden = hidden_by_persona[persona]
        assert any(hidden.values())  # every persona sees some personal value masked or not at all
        before = observed((await gql(client, LIST, headers, where=where, orderBy=order, first=page)).json())
        await set_values(rows, hidden, changed)
        try:
            after = observed((await gql(client, LIST, headers, where=where, orderBy=order, first=page)).json())
        finally:
            await set_values(rows, hidden, None)
        assert after == before, persona
