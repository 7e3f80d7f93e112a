"""Turn an ``Authorization: Bearer ...`` header into an Actor (or None when it proves nothing).

The credential itself is checked on every call (a JWT's signature and expiry, an API key's hash); the
agent or key it names, with its role grants, comes from :mod:`rapport.auth.actor_cache`, so a warm
request sends no SQL to authenticate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapport.auth.actor import Actor, RoleGrant
from rapport.auth.actor_cache import actors
from rapport.auth.apikeys import key_prefix, live_key, looks_like_api_key, note_use, secret_matches
from rapport.auth.grants import grants_of
from rapport.auth.tokens import InvalidToken, agent_id_from_token
from rapport.models import Agent


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def actor_for_token(token: str, signing_key: str) -> Actor | None:
    if looks_like_api_key(token):
        return await _actor_for_api_key(token)
    try:
        agent_id = agent_id_from_token(token, signing_key)
    except InvalidToken:
        return None
    return await actor_for_agent(agent_id)


async def actor_for_agent(agent_id: int) -> Actor | None:
    """The active agent's Actor with its role grants (cached); None for an unknown or inactive agent."""
    entry = await actors.get(("user", agent_id), lambda: _read_agent(agent_id))
    return entry.actor if entry is not None else None


async def _read_agent(agent_id: int) -> tuple[Actor, None] | None:
    agent = await Agent.get_or_none(id=agent_id, active=True).select_related("department")
    if agent is None:
        return None
    actor = Actor(
        kind="user",
        name=agent.email,
        agent_id=agent.id,
        department=agent.department.code if agent.department else None,
        grants=await grants_of(f"user:{agent.email}"),
    )
    return actor, None


@dataclass(slots=True)
class _KeyCheck:
    """What a cached API key still checks on every request: its secret's hash, and its last recorded use."""

    key_id: int
    key_hash: str
    last_used_at: datetime | None


async def _actor_for_api_key(token: str) -> Actor | None:
    prefix = key_prefix(token)
    if prefix is None:
        return None
    entry = await actors.get(("key", prefix), lambda: _read_key(prefix))
    if entry is None:
        return None
    check: _KeyCheck = entry.extra
    if not secret_matches(check.key_hash, token):
        return None
    check.last_used_at = await note_use(check.key_id, check.last_used_at)
    return entry.actor


async def _read_key(prefix: str) -> tuple[Actor, Any] | None:
    key = await live_key(prefix)
    if key is None:
        return None
    grants = tuple(RoleGrant.parse(text) for text in key.roles)
    actor = Actor(kind="key", name=key.name, department=key.department.code if key.department else None, grants=grants)
    return actor, _KeyCheck(key.id, key.key_hash, key.last_used_at)
