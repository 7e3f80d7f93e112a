"""Who may call the API: bearer tokens for agents, API keys for machines, 401 for everyone else."""

from __future__ import annotations

import time

import jwt

from rapport.auth.actor import RoleGrant
from rapport.auth.apikeys import create_api_key, revoke_api_key
from rapport.auth.tokens import expires_at, issue_token
from rapport.models import ApiKey
from tests.support.graphql import bearer, gql, make_agent

VIEWER = "{ viewer { agent { name } roles } }"


async def test_agent_with_a_valid_token_sees_itself_and_its_roles(db, http, settings) -> None:
    agent = await make_agent("rep@example.com", roles=("agent@sales",), name="王芳")
    response = await gql(http, VIEWER, bearer(agent, settings))
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"agent": {"name": "王芳"}, "roles": ["agent@sales"]}}}


async def test_no_token_is_401_with_json(db, http) -> None:
    response = await http.post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"][0]["message"] == "missing token"


async def test_forged_token_is_401_saying_only_invalid_token(db, http, settings) -> None:
    agent = await make_agent("rep@example.com")
    forged = jwt.encode({"sub": str(agent.id), "iss": "rapport", "exp": time.time() + 60}, "x" * 40, algorithm="HS256")
    response = await gql(http, VIEWER, {"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "invalid token"


async def test_expired_token_is_401(db, http, settings) -> None:
    agent = await make_agent("rep@example.com")
    expired = jwt.encode(
        {"sub": str(agent.id), "iss": "rapport", "exp": time.time() - 5}, settings.signing_key, algorithm="HS256"
    )
    response = await gql(http, VIEWER, {"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "invalid token"


async def test_unsigned_alg_none_token_is_refused(db, http, settings) -> None:
    agent = await make_agent("rep@example.com")
    unsigned = jwt.encode({"sub": str(agent.id), "iss": "rapport", "exp": time.time() + 60}, None, algorithm="none")
    assert (await gql(http, VIEWER, {"Authorization": f"Bearer {unsigned}"})).status_code == 401


async def test_token_of_an_inactive_agent_is_refused(db, http, settings) -> None:
    agent = await make_agent("gone@example.com", active=False)
    assert (await gql(http, VIEWER, bearer(agent, settings))).status_code == 401


async def test_token_of_a_deleted_agent_is_refused(db, http, settings) -> None:
    agent = await make_agent("gone@example.com")
    headers = bearer(agent, settings)
    await agent.delete()
    assert (await gql(http, VIEWER, headers)).status_code == 401


async def test_malformed_authorization_headers_are_401(db, http) -> None:
    for value in ("Bearer", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt", "Bearer rk_", "Bearer rk_abc_def"):
        assert (await gql(http, VIEWER, {"Authorization": value})).status_code == 401, value


async def test_healthz_needs_no_token(db, http) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_api_key_works_with_its_own_roles_and_is_stored_hashed(db, http) -> None:
    key, raw = await create_api_key("erp-sync", [RoleGrant("agent", "sales"), RoleGrant("analyst", "*")])
    response = await gql(http, VIEWER, {"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["data"]["viewer"] == {"agent": None, "roles": ["agent@sales", "analyst@*"]}
    stored = await ApiKey.get(id=key.id)
    assert raw not in (stored.key_hash, stored.prefix) and raw.split("_")[-1] not in stored.key_hash
    assert stored.last_used_at is not None


async def test_api_key_with_a_wrong_secret_or_revoked_is_401(db, http) -> None:
    key, raw = await create_api_key("erp-sync", [RoleGrant("agent", "sales")])
    tampered = raw[:-2] + ("aa" if not raw.endswith("aa") else "bb")
    assert (await gql(http, VIEWER, {"Authorization": f"Bearer {tampered}"})).status_code == 401
    assert await revoke_api_key("erp-sync")
    assert (await gql(http, VIEWER, {"Authorization": f"Bearer {raw}"})).status_code == 401


async def test_issued_token_carries_an_expiry(db, settings) -> None:
    token = issue_token(7, settings.signing_key, ttl_seconds=120)
    claims = jwt.decode(token, settings.signing_key, algorithms=["HS256"], issuer="rapport")
    assert claims["sub"] == "7" and 100 < claims["exp"] - time.time() <= 120


async def test_the_expiry_of_a_token_is_known_only_when_this_key_signed_it(db, settings) -> None:
    token = issue_token(7, settings.signing_key, ttl_seconds=120)
    assert expires_at(token, settings.signing_key) == jwt.decode(
        token, settings.signing_key, algorithms=["HS256"], issuer="rapport")["exp"]
    assert expires_at(token, "another key of thirty-two bytes or more") is None
    assert expires_at("rk_abc_def", settings.signing_key) is None
