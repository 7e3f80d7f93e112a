"""Writes that change who an actor is or what it holds, each with a policy version bump.

Role grants, an agent's ``active`` flag or department, an API key's creation or revocation: each runs in a
transaction that also bumps ``policy_version``, and after the commit this process's engine is invalidated
and the change announced like a policy edit (:func:`rapport.authz.store.announce`). Every process then
drops the identities it cached (:mod:`rapport.auth.actor_cache`) within the propagation bound. Write
agents and keys through these functions, never with a bare ``update()``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from rapport.models import Agent
from rapport.services.counters import POLICY_VERSION, next_value

T = TypeVar("T")


async def changing_identity(write: Callable[[BaseDBAsyncClient], Awaitable[T]]) -> T:
    """Run ``write`` and the version bump in one transaction, then announce the new version."""
    from rapport.authz.store import announce

    async with in_transaction() as conn:
        # The bump first, as a policy edit does: it locks the counter row until the commit.
        version = await next_value(conn, POLICY_VERSION)
        result = await write(conn)
    await announce(version)
    return result


async def set_agent_active(agent_id: int, active: bool) -> bool:
    """Activate or deactivate an agent (a deactivated one authenticates no more); False: no such agent."""

    async def write(conn: BaseDBAsyncClient) -> bool:
        return bool(await Agent.filter(id=agent_id).using_db(conn).update(active=active))

    return await changing_identity(write)


async def move_agent(agent_id: int, department_id: int | None) -> bool:
    """Put an agent in another department (or none); False: no such agent."""

    async def write(conn: BaseDBAsyncClient) -> bool:
        return bool(await Agent.filter(id=agent_id).using_db(conn).update(department_id=department_id))

    return await changing_identity(write)
