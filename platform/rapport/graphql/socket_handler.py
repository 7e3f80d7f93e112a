"""graphql-transport-ws with Rapport's identity rules: every operation is authorized as a request of its own.

strawberry runs every operation of a connection with the one context of the connection. Here each
``subscribe`` message first proves the connection's credential again (closing the socket with 4401 when
it no longer proves anyone) and then runs with a context of its own: the actor as proved now, a fresh
permission plan, its own dataloaders and redactions. A watch closes the socket with 4401 when the token
expires, and proves the credential again every ``RECHECK_SECONDS`` while the connection is idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from contextvars import ContextVar
from typing import Any

import structlog
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage

from rapport.graphql.context import RapportContext
from rapport.graphql.socket_identity import RECHECK_SECONDS, expiry, reauthenticate

log = structlog.get_logger("rapport.graphql")

UNAUTHENTICATED = 4401  # graphql-transport-ws's close code for "Unauthorized"
UNAVAILABLE = 1013  # WebSocket "try again later"

# strawberry's operation task reads ``handler.context`` when it starts. The task is created inside
# ``handle_subscribe`` and copies the context variables of that moment, so an operation's own context is
# what it reads, while the connection's messages keep seeing the connection's.
_operation_context: ContextVar[RapportContext | None] = ContextVar("rapport_operation_context", default=None)


class RapportTransportWSHandler(BaseGraphQLTransportWSHandler[RapportContext, Any]):
    _watch: asyncio.Task[None] | None = None

    @property
    def context(self) -> RapportContext:  # type: ignore[override]
        return _operation_context.get() or self.connection_context

    @context.setter
    def context(self, value: RapportContext) -> None:
        self.connection_context = value

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._watch is None:
            self._watch = asyncio.create_task(self._watch_credential(), name="rapport-socket-credential")
            self._watch.add_done_callback(self._task_done)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:
            try:
                actor = await reauthenticate(self.connection_context)
            except Exception:  # noqa: BLE001 - database unreachable: nothing can be authorized; the client retries
                log.warning("could not prove a connection's credential for an operation", exc_info=True)
                await self.close(UNAVAILABLE, "try again later")
                return
            if actor is None:
                await self.close(UNAUTHENTICATED, "authentication expired")
                return
        token = _operation_context.set(self.connection_context.for_operation())
        try:
            await super().handle_subscribe(message)  # starts the operation's task (or refuses it)
        finally:
            _operation_context.reset(token)

    async def shutdown(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        await super().shutdown()

    async def close(self, code: int, reason: str) -> None:
        """Close the socket (4401: the client must connect again with a valid token)."""
        with contextlib.suppress(RuntimeError, OSError):  # the socket closed meanwhile
            await self.websocket.close(code=code, reason=reason)

    async def _watch_credential(self) -> None:
        expires = expiry(self.connection_context)
        while True:
            wait = RECHECK_SECONDS if expires is None else min(RECHECK_SECONDS, expires - time.time())
            await asyncio.sleep(max(wait, 0.0))
            if expires is not None and time.time() >= expires:
                break
            try:
                if await reauthenticate(self.connection_context) is None:
                    break
            except Exception:  # noqa: BLE001 - database unreachable: operations fail on their own; try later
                log.warning("could not prove a connection's credential again", exc_info=True)
        await self.close(UNAUTHENTICATED, "authentication expired")
