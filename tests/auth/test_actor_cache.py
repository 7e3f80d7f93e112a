"""Cached identities never outlive the change that ends them: each identity write bumps the policy version,
and the next request reads the actor again."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.auth.actor import RoleGrant
from rapport.auth.actor_cache import ActorCache, actors
from rapport.auth.apikeys import create_api_key, revoke_api_key
from rapport.auth.authenticate import _read_agent, actor_for_agent
from rapport.auth.grants import grant
from rapport.auth.identity_changes import move_agent, set_agent_active
from rapport.authz.enforcer import read_version
from rapport.authz.store import revoke_role, seed_default_policy
from rapport.services.errors import DomainError
from rapport.models import Agent, Department
from rapport.sql_count import count_statements
from tests.support.graphql import bearer, gql, make_agent

ROLES = "{ viewer { roles } }"


async def _roles(http, headers) -> list[str] | int:
    response = await gql(http, ROLES, headers)
    return response.json()["data"]["viewer"]["roles"] if response.status_code == 200 else response.status_code


@pytest.fixture
async def rep(db, settings):
    await seed_default_policy()
    agent = await make_agent("rep@example.com", "sales", roles=("agent@sales", "analyst@*"))
    return agent, bearer(agent, settings)


async def test_a_granted_role_bumps_the_policy_version_and_shows_on_the_next_request(http, rep) -> None:
    agent, headers = rep
    assert await _roles(http, headers) == ["agent@sales", "analyst@*"]
    before = await read_version()
    assert await grant("user:rep@example.com", RoleGrant("manager", "sales"))
    assert await read_version() == before + 1
    assert await _roles(http, headers) == ["agent@sales", "analyst@*", "manager@sales"]


async def test_a_revoked_role_is_gone_on_the_next_request(http, rep) -> None:
    _, headers = rep
    assert await _roles(http, headers) == ["agent@sales", "analyst@*"]
    await revoke_role("user:rep@example.com", "analyst@*", by="cli:ops")
    assert await _roles(http, headers) == ["agent@sales"]


async def test_a_deactivated_agent_is_refused_on_the_next_request(http, rep) -> None:
    agent, headers = rep
    assert await _roles(http, headers) == ["agent@sales", "analyst@*"]
    before = await read_version()
    assert await set_agent_active(agent.id, False)
    assert await read_version() == before + 1
    assert await _roles(http, headers) == 401
    assert await set_agent_active(agent.id, True)
    assert await _roles(http, headers) == ["agent@sales", "analyst@*"]


async def test_a_revoked_api_key_is_refused_on_the_next_request(http, rep) -> None:
    _, raw = await create_api_key("erp-sync", [RoleGrant("analyst", "*")])
    headers = {"Authorization": f"Bearer {raw}"}
    assert await _roles(http, headers) == ["analyst@*"]
    tampered = raw[:-2] + ("aa" if not raw.endswith("aa") else "bb")
    assert await _roles(http, {"Authorization": f"Bearer {tampered}"}) == 401  # a cached key still checks its secret
    before = await read_version()
    assert await revoke_api_key("erp-sync")
    assert await read_version() == before + 1
    assert await _roles(http, headers) == 401
    assert not await revoke_api_key("erp-sync")  # revoked once only


async def test_a_moved_agent_acts_for_its_new_department_at_once(rep) -> None:
    agent, _ = rep
    assert (await actor_for_agent(agent.id)).department == "sales"
    support, _ = await Department.get_or_create(code="support", defaults={"name": "Support"})
    assert await move_agent(agent.id, support.id)
    assert (await actor_for_agent(agent.id)).department == "support"


async def test_a_write_around_the_identity_functions_is_seen_after_the_max_age(http, rep, monkeypatch) -> None:
    """The max age is the safety net: an unannounced write is invisible only until the entry expires."""
    agent, headers = rep
    assert await _roles(http, headers) == ["agent@sales", "analyst@*"]
    await Agent.filter(id=agent.id).update(active=False)  # no version bump: the cache cannot know
    assert await _roles(http, headers) == ["agent@sales", "analyst@*"]
    monkeypatch.setattr(actors, "max_age", 0.0)
    assert await _roles(http, headers) == 401


async def test_the_cache_is_bounded(rep) -> None:
    cache = ActorCache(max_entries=2)
    agents = [rep[0]] + [await make_agent(f"a{i}@example.com", "sales") for i in range(2)]
    for agent in agents:
        assert await cache.get(agent.id, lambda agent=agent: _read(agent.id)) is not None
    assert len(cache) == 2
    with count_statements() as counter:  # the least recently used went first: it is read again
        await cache.get(agents[0].id, lambda: _read(agents[0].id))
    assert len([s for s in counter.statements if "counters" not in s]) == 1  # the version poll aside


GRANTS = st.sampled_from(["agent@sales", "manager@sales", "agent@support", "analyst@*"])
CHANGES = st.one_of(
    st.tuples(st.just("grant"), GRANTS),
    st.tuples(st.just("revoke"), GRANTS),
    st.tuples(st.just("active"), st.booleans()),
    st.tuples(st.just("move"), st.sampled_from(["sales", "support", None])),
)


async def _apply(agent: Agent, change: tuple) -> None:
    kind, value = change
    if kind == "grant":
        await grant(f"user:{agent.email}", RoleGrant.parse(value))
    elif kind == "revoke":
        try:
            await revoke_role(f"user:{agent.email}", value, by="cli:ops")
        except DomainError:  # not held
            pass
    elif kind == "active":
        await set_agent_active(agent.id, value)
    else:
        department = (await Department.get_or_create(code=value, defaults={"name": value}))[0] if value else None
        await move_agent(agent.id, department.id if department else None)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(CHANGES, min_size=1, max_size=6))
async def test_after_any_sequence_of_identity_changes_the_cached_actor_is_the_stored_one(rep, changes) -> None:
    agent, _ = rep
    await actor_for_agent(agent.id)  # cached before the changes
    for change in changes:
        await _apply(agent, change)
        stored = await _read_agent(agent.id)
        assert await actor_for_agent(agent.id) == (stored[0] if stored else None), change


async def _read(agent_id: int):
    from rapport.auth.actor import Actor

    agent = await Agent.get(id=agent_id)
    return Actor(kind="user", name=agent.email, agent_id=agent.id), None
