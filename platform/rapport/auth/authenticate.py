"""Turn an ``Authorization: Bearer ...`` header into an Actor (or None when it proves nothing)."""

from __future__ import annotations

from rapport.auth.actor import Actor, RoleGrant
from rapport.auth.apikeys import looks_like_api_key, verify_api_key
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
    agent = await Agent.get_or_none(id=agent_id, active=True).select_related("department")
    if agent is None:
        return None
    subject = f"user:{agent.email}"
    return Actor(
        kind="user",
        name=agent.email,
        agent_id=agent.id,
        department=agent.department.code if agent.department else None,
        grants=await grants_of(subject),
    )


async def _actor_for_api_key(token: str) -> Actor | None:
    key = await verify_api_key(token)
    if key is None:
        return None
    grants = tuple(RoleGrant.parse(text) for text in key.roles)
    return Actor(kind="key", name=key.name, department=key.department.code if key.department else None, grants=grants)
