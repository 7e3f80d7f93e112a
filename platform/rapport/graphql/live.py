"""Helpers of live subscriptions: each event is evaluated as a fresh request of the subscriber.

A subscription re-reads the changed row through the subscriber's own permission plan and filter (the
same SQL scope as a query), so it never receives a row it could not query, and its fields pass the
same masking. Before each event the plan is rebuilt (policy changes apply at once) and, every
``RECHECK_SECONDS``, the connection's token is checked again: an expired token, a revoked key or a
deactivated agent ends the subscription.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError

from rapport.auth.authenticate import actor_for_token
from rapport.authz.model import ANY
from rapport.authz.sql import department_ids
from rapport.events import bus

RECHECK_SECONDS = 30.0

T = TypeVar("T")


class SubscriptionEnded(GraphQLError):
    def __init__(self) -> None:
        super().__init__("authentication expired: reconnect with a valid token", extensions={"code": "UNAUTHENTICATED"})


async def still_authenticated(info: strawberry.Info) -> bool:
    context = info.context
    if context.actor is None:
        return False
    if context.credential is None or time.monotonic() - context.checked_at < RECHECK_SECONDS:
        return True
    actor = await actor_for_token(context.credential, context.settings.signing_key)
    context.checked_at = time.monotonic()
    if actor is None:
        return False
    context.actor = actor  # roles granted or revoked since the connection began apply from now on
    return True


async def may_reach(info: strawberry.Info, resource: str, department_id: int | None, owner_id: int | None) -> bool:
    """A cheap first look, before any SQL: can the subscriber's row scope reach a row of this department
    (owned by ``owner_id``) at all? False means certainly not; True still goes through the SQL scope."""
    plan = await info.context.plan()
    scope = plan.row_scope(resource)
    if scope.all:
        return True
    if department_id is None:
        return False
    if department_id in await department_ids(scope.departments):
        return True
    own = owner_id is not None and owner_id == plan.actor.agent_id
    return own and (ANY in scope.own_in or department_id in await department_ids(scope.own_in))


async def stream(
    info: strawberry.Info, channel: str, visible: Callable[[dict[str, Any]], Awaitable[T | None]]
) -> AsyncIterator[T]:
    """Yield ``visible(message)`` for each message of ``channel`` for which it is not None."""
    async with bus.subscribe(channel) as messages:
        async for message in messages:
            if not await still_authenticated(info):
                raise SubscriptionEnded()
            info.context.next_event()
            item = await visible(message)
            if item is not None:
                yield item
