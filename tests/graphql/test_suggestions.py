"""Production answers no "Did you mean ...?" and its unknown-name messages do not confirm which names
exist: a near miss and a random name get the same message. Development keeps the suggestions."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from rapport.app import create_app
from rapport.graphql.schema import build_schema
from rapport.settings import Settings
from tests.support.graphql import bearer, make_agent

# (what is probed, document with a near miss, the near miss, the real name it is near, the same document
# with a random name, the random name, variables). The {} in a document is where the name goes.
PROBES = [
    ("argument", "{{ customers({}: 1) {{ totalCount }} }}", "firs", "first", "qzxv", None),
    ("enum value", "{{ customers(where: {{segment: [{}]}}) {{ totalCount }} }}", "EXISTIN", "EXISTING", "QZXV", None),
    ("input field", '{{ customers(where: {{{}: {{eq: "a"}}}}) {{ totalCount }} }}', "nam", "name", "qzxv", None),
    ("input field of a sort key", "{{ customers(orderBy: [{{field: NAME, {}: ASC}}]) {{ totalCount }} }}", "directio",
     "direction", "qzxvqzxv", None),
    ("type in a fragment condition", "{{ ...F }} fragment F on {} {{ __typename }}", "Custome", "Customer", "Qzxvqzx", None),
    ("type in an inline fragment", '{{ node(id: "x") {{ ... on {} {{ __typename }} }} }}', "Custome", "Customer", "Qzxvqzx", None),
    ("variable type", "query($w: {}) {{ customers(where: $w) {{ totalCount }} }}", "CustomerFilte", "CustomerFilter",
     "Qzxvqzxvqzxvq", None),
    ("field", "{{ {} {{ totalCount }} }}", "custmers", "customers", "qzxvqzxv", None),
    ("directive argument", "{{ viewer @include({}: true) {{ roles }} }}", "iff", "if", "qzx", None),
    ("enum value in a variable", "query($w: CustomerFilter) {{ customers(where: $w) {{ totalCount }} }}", "EXISTIN",
     "EXISTING", "QZXV", lambda name: {"w": {"segment": [name]}}),
    ("input field in a variable", "query($w: CustomerFilter) {{ customers(where: $w) {{ totalCount }} }}", "nam", "name",
     "qzxv", lambda name: {"w": {name: {"eq": "a"}}}),
]


@pytest.fixture
async def clients(db, settings):
    """HTTP clients of a production and a development app, with a token."""
    agent = await make_agent("probe@example.com", roles=("agent@sales",))
    apps = {env: create_app(settings.model_copy(update={"env": env}), manage_database=False) for env in ("production", "development")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["production"]), base_url="http://rapport.test") as production, \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=apps["development"]), base_url="http://rapport.test") as development:
        yield {"production": production, "development": development}, bearer(agent, settings)
    for app in apps.values():
        await app.state.rate_limiter.close()


async def messages(client: httpx.AsyncClient, headers: dict, template: str, name: str, variables) -> list[str]:
    document = template.format(name) if variables is None else template.replace("{{", "{").replace("}}", "}")
    body = (await client.post("/graphql", json={"query": document, "variables": variables(name) if variables else {}},
                              headers=headers)).json()
    assert body.get("errors"), body
    return [error["message"] for error in body["errors"]]


@pytest.mark.parametrize(("probe", "template", "near", "real", "random", "variables"), PROBES, ids=[p[0] for p in PROBES])
async def test_production_answers_a_near_miss_as_it_answers_a_random_name(clients, probe, template, near, real, random,
                                                                         variables) -> None:
    (apps, headers) = clients
    near_miss = await messages(apps["production"], headers, template, near, variables)
    unrelated = await messages(apps["production"], headers, template, random, variables)
    assert not any("did you mean" in message.lower() for message in near_miss + unrelated), near_miss
    assert [m.replace(near, "<name>") for m in near_miss] == [m.replace(random, "<name>") for m in unrelated]
    assert not any(f"'{real}'" in message for message in near_miss), near_miss  # nothing names what exists


@pytest.mark.parametrize(("probe", "template", "near", "real", "random", "variables"), PROBES, ids=[p[0] for p in PROBES])
async def test_development_keeps_the_suggestions(clients, probe, template, near, real, random, variables) -> None:
    (apps, headers) = clients
    near_miss = await messages(apps["development"], headers, template, near, variables)
    assert any("Did you mean" in message and real in message for message in near_miss), near_miss


@pytest.mark.parametrize(("document", "hidden"), [
    ("{ customers { nodes { qzxv } } }", "Customer'"),  # the type of a field's values
    ("{ customers }", "CustomerConnection"),
    ("{ viewer { roles { x } } }", "String!"),
    ("{ customer { id } }", "(id:)"),  # a required argument's name
    ('{ customers(orderBy: [{direction: ASC}]) { totalCount } }', "'field'"),  # a required input field
    ("query($n: String) { customers(first: $n) { totalCount } }", "'Int"),
    ("{ viewer { ... on Customer { id } } }", "Viewer"),
    ('{ customers(where: {segment: ["EXISTING"]}) { totalCount } }', "CustomerSegment"),
])
async def test_production_messages_name_only_what_the_client_wrote(clients, document, hidden) -> None:
    (apps, headers) = clients
    body = (await apps["production"].post("/graphql", json={"query": document}, headers=headers)).json()
    assert body.get("errors") and body.get("data") is None, body
    assert not any(hidden in error["message"] for error in body["errors"]), body["errors"]


PRODUCTION_SCHEMA = build_schema(Settings(env="production", secret_key="k" * 32))
CUSTOMERS_ARGUMENTS = {"first", "after", "last", "before", "where", "orderBy"}


@hypothesis_settings(max_examples=150, deadline=None)
@given(st.from_regex(r"[a-z][a-zA-Z]{0,9}", fullmatch=True).filter(lambda name: name not in CUSTOMERS_ARGUMENTS))
async def test_an_unknown_argument_message_depends_on_nothing_but_the_name_written(name) -> None:
    result = await PRODUCTION_SCHEMA.execute(f"{{ customers({name}: 1) {{ totalCount }} }}")
    assert [error.message for error in result.errors] == [f"Unknown argument '{name}'."]


@hypothesis_settings(max_examples=150, deadline=None)
@given(st.from_regex(r"[A-Z][A-Z_]{0,9}", fullmatch=True).filter(lambda name: name not in {"POTENTIAL", "EXISTING", "CHURNED"}))
async def test_an_unknown_enum_value_message_depends_on_nothing_but_the_value_written(name) -> None:
    result = await PRODUCTION_SCHEMA.execute(f"{{ customers(where: {{segment: [{name}]}}) {{ totalCount }} }}")
    assert [error.message for error in result.errors] == [f"Value '{name}' is not a value of this enum."]
