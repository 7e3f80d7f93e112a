"""The GraphQL endpoint's behaviour at the edges: GET, bad bodies, limits, production hardening."""

from __future__ import annotations

import httpx
import pytest

from rapport.app import create_app
from rapport.models import Department
from rapport.settings import Settings
from tests.support.graphql import bearer, gql, make_agent


@pytest.fixture
async def headers(db, settings):
    agent = await make_agent("rep@example.com", roles=("agent@sales",))
    return bearer(agent, settings)


async def test_departments_in_creation_order(db, http, headers) -> None:
    await Department.create(code="support", name="Support")
    response = await gql(http, "{ departments { id code name } }", headers)
    departments = response.json()["data"]["departments"]
    assert [d["code"] for d in departments] == ["sales", "support"]
    assert all(d["id"] and d["id"] != "1" for d in departments), "ids are opaque global ids"


async def test_department_is_reachable_by_its_global_id_through_viewer(db, http, headers) -> None:
    response = await gql(http, "{ viewer { agent { email active department { code name } } } }", headers)
    assert response.json()["data"]["viewer"]["agent"] == {
        "email": "rep@example.com", "active": True, "department": {"code": "sales", "name": "Sales"},
    }


async def test_queries_over_get_are_refused(db, http, headers) -> None:
    response = await http.get("/graphql", params={"query": "{ departments { code } }"}, headers=headers)
    assert response.status_code in (400, 405)
    assert "departments" not in response.text


async def test_malformed_json_body_is_400_not_500(db, http, headers) -> None:
    response = await http.post("/graphql", content=b'{"query": ', headers={**headers, "content-type": "application/json"})
    assert response.status_code == 400


async def test_body_over_the_limit_is_413(db, http, headers, settings) -> None:
    big = "{ departments { code } }" + " " * (settings.max_body_bytes + 10)
    response = await http.post("/graphql", json={"query": big}, headers=headers)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


async def test_too_many_aliases_are_rejected_before_execution(db, http, headers) -> None:
    too_many_aliases = "{ " + " ".join(f"a{i}: departments {{ code }}" for i in range(40)) + " }"
    body = (await gql(http, too_many_aliases, headers)).json()
    assert body.get("data") is None and "aliases" in body["errors"][0]["message"].lower()


async def test_every_response_carries_a_request_id(db, http, headers) -> None:
    response = await gql(http, "{ departments { code } }", headers)
    assert len(response.headers["x-request-id"]) >= 8
    echoed = await http.post("/graphql", json={"query": "{ departments { code } }"}, headers={**headers, "x-request-id": "client-abc-123"})
    assert echoed.headers["x-request-id"] == "client-abc-123"


async def test_development_allows_introspection_and_suggestions(db, http, headers) -> None:
    body = (await gql(http, "{ __schema { queryType { name } } }", headers)).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    typo = (await gql(http, "{ departmants { code } }", headers)).json()
    assert "Did you mean" in typo["errors"][0]["message"]


@pytest.fixture
async def production_http(settings: Settings, orm):
    prod = settings.model_copy(update={"env": "production"})
    app = create_app(prod, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test") as client:
        yield client


async def test_production_hides_introspection_suggestions_and_graphiql(db, production_http, headers) -> None:
    body = (await gql(production_http, "{ __schema { types { name } } }", headers)).json()
    assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
    typo = (await gql(production_http, "{ departmants { code } }", headers)).json()
    assert "Did you mean" not in typo["errors"][0]["message"]
    ide = await production_http.get("/graphql", headers={"accept": "text/html"})
    assert ide.status_code in (401, 404, 405) and "graphiql" not in ide.text.lower()


async def test_development_serves_graphiql_page_without_a_token(db, http) -> None:
    ide = await http.get("/graphql", headers={"accept": "text/html"})
    assert ide.status_code == 200 and "graphiql" in ide.text.lower()


@pytest.mark.parametrize("body", [b'"just a string"', b"42", b"null", b'{"query": 5}', b'{"query": "{ departments { code } }", "variables": [1]}'])
async def test_malformed_bodies_are_400_with_a_json_error(db, http, headers, body) -> None:
    response = await http.post("/graphql", content=body, headers={**headers, "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


async def test_batched_operations_are_refused(db, http, headers) -> None:
    query = {"query": "{ departments { code } }"}
    response = await http.post("/graphql", json=[query, query], headers=headers)
    assert response.status_code == 400 and "Batching" in response.json()["errors"][0]["message"]


async def test_unsupported_content_type_is_400_json(db, http, headers) -> None:
    response = await http.post("/graphql", content=b"query=%7B%7D", headers={**headers, "content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and response.json()["errors"]


async def test_unexpected_errors_are_masked_with_a_request_id_that_is_logged(db, http, settings, monkeypatch, capsys) -> None:
    from rapport.services import customers
    from tests.support.personas import cast

    people = await cast(settings)

    async def broken(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(customers, "create_customer", broken)
    response = await gql(http, 'mutation { createCustomer(input: {name: "x"}) { errors { code } } }', people["sales"].headers)
    error = response.json()["errors"][0]
    assert "hunter2" not in response.text and error["message"].startswith("Unexpected error")
    request_id = error["extensions"]["requestId"]
    assert request_id == response.headers["x-request-id"]
    logged = capsys.readouterr()
    assert request_id in logged.out + logged.err and "hunter2" in logged.out + logged.err


async def test_queries_deeper_than_ten_levels_are_rejected_before_execution(db, http, settings) -> None:
    from tests.support.personas import cast

    headers = (await cast(settings))["lead"].headers

    def nest(levels: int) -> str:
        inner = "name"
        for _ in range(levels):
            inner = f"tickets(first: 1) {{ nodes {{ customer {{ {inner} }} }} }}"
        return f"{{ customers(first: 1) {{ nodes {{ {inner} }} }} }}"

    fine = (await gql(http, nest(2), headers)).json()  # depth 9
    assert "errors" not in fine, fine
    deep = (await gql(http, nest(3), headers)).json()  # depth 12
    assert deep.get("data") is None and "exceeds maximum operation depth" in deep["errors"][0]["message"]


async def test_documents_over_the_token_limit_are_rejected(db, http, headers) -> None:
    huge = "{ " + " ".join(f"departments {{ code }}" for _ in range(1300)) + " }"
    body = (await gql(http, huge, headers)).json()
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"


@pytest.mark.parametrize("env", ["development", "production"])
async def test_a_repeated_document_is_validated_once_and_the_limits_still_hold(db, settings, headers, monkeypatch, env) -> None:
    import strawberry.schema.schema as strawberry_schema

    validated: list[str] = []
    original = strawberry_schema.validate

    def counting(schema, document, rules=None, *args, **kwargs):
        validated.append(env)
        return original(schema, document, rules, *args, **kwargs)

    monkeypatch.setattr("strawberry.schema.schema.validate", counting)
    app = create_app(settings.model_copy(update={"env": env}), manage_database=False)
    query = "{ departments { code name } viewer { agent { name } } }" + " " * len(env)  # a text no other test sends
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test") as client:
        for _ in range(5):
            assert "errors" not in (await gql(client, query, headers)).json()
        assert len(validated) == 1  # the other four requests came from the validation cache
        too_many_aliases = "{ " + " ".join(f"a{i}: departments {{ code }}" for i in range(40)) + " }"
        for _ in range(2):
            body = (await gql(client, too_many_aliases, headers)).json()
            assert body.get("data") is None and "aliases" in body["errors"][0]["message"].lower()
