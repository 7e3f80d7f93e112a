"""Helpers to call the GraphQL endpoint as someone."""

from __future__ import annotations

from typing import Any

import httpx

from rapport.auth.actor import RoleGrant
from rapport.auth.grants import grant
from rapport.auth.tokens import issue_token
from rapport.models import Agent, Department
from rapport.settings import Settings


async def make_agent(email: str, department: str | None = "sales", roles: tuple[str, ...] = (), **fields: Any) -> Agent:
    dept = None
    if department:
        dept, _ = await Department.get_or_create(code=department, defaults={"name": department.title()})
    agent = await Agent.create(email=email, name=fields.pop("name", email.split("@")[0]), department=dept, **fields)
    for text in roles:
        await grant(f"user:{email}", RoleGrant.parse(text))
    return agent


def bearer(agent: Agent, settings: Settings, ttl: int = 600) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(agent.id, settings.signing_key, ttl)}"}


async def gql(client: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
