"""Helpers of live subscriptions: each event is evaluated as a fresh request of the subscriber.

A subscription re-reads the changed row through the subscriber's own permission plan and filter (the
same SQL scope as a query), so it never receives a row it could not query, and its fields pass the
same masking. Before each event the plan is rebuilt (policy changes apply at once) and the subscriber's
credential is proved again when the policy version has moved since it last was (roles revoked or granted
apply from the next event) or ``RECHECK_SECONDS`` have passed: an expired token, a revoked key or a
deactivated agent ends the subscription, and so does losing the read permission it was started with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError

from rapport.authz.model import ANY, READ
from rapport.authz.sql import department_ids
from rapport.events import bus
from rapport.graphql.gate import Forbidden
from rapport.graphql.socket_identity import proved_recently

T = TypeVar("T")


class SubscriptionEnded(GraphQLError):
    def __init__(self) -> None:
        super().__init__("authentication expired: reconnect with a valid token", extensions={"code": "UNAUTHENTICATED"})


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
    info: strawberry.Info, channel: str, resource: str, visible: Callable[[dict[str, Any]], Awaitable[T | None]]
) -> AsyncIterator[T]:
    """Yield ``visible(message)`` for each message of ``channel`` for which it is not None, while the
    subscriber may still read ``resource`` (the permission the subscription was started with)."""
    async with bus.subscribe(channel) as messages:
        async for message in messages:
            if not await proved_recently(info.context):
                raise SubscriptionEnded()
            info.context.next_event()
            if not (await info.context.plan()).allows(resource, READ):
                raise Forbidden(resource, READ)
            item = await visible(message)
            if item is not None:
                yield item
