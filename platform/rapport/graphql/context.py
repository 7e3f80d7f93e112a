"""The per-request context every resolver receives."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from rapport.auth.actor import Actor
from rapport.settings import Settings

if TYPE_CHECKING:
    from rapport.authz.plan import PermissionPlan


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class RapportContext:
    request: Request | WebSocket
    response: Response | None
    settings: Settings
    actor: Actor | None
    request_id: str = field(default_factory=new_request_id)
    redactions: Counter[tuple[str, str]] = field(default_factory=Counter)
    loaders: dict[str, Any] = field(default_factory=dict)  # dataloaders, created on first use per request
    _plan: PermissionPlan | None = None
    # WebSocket connections: the graphql-transport-ws connection_init payload, the token that proved the
    # actor (proved again for every operation and while subscriptions run), when it was last proved
    # (monotonic seconds) and the policy version current then (a newer one means grants may have changed).
    connection_params: dict[str, Any] | None = None
    credential: str | None = None
    checked_at: float = 0.0
    policy_version: int | None = None

    async def plan(self) -> PermissionPlan:
        """The actor's permission plan, built once per request (and cached across requests by the engine)."""
        if self._plan is None:
            from rapport.authz.plan import plan_for

            if self.actor is None:
                raise PermissionError("no actor")
            self._plan = await plan_for(self.actor)
        return self._plan

    @property
    def ready_plan(self) -> PermissionPlan | None:
        """The plan, if this request has built it already (None: await ``plan()``). Resolvers that can
        answer without waiting use it: a synchronous resolver costs far less than a coroutine."""
        return self._plan

    def for_operation(self) -> RapportContext:
        """A context of its own for one operation of a WebSocket connection: the connection's identity, as
        last proved, with no plan, dataloaders or redactions shared with the connection's other operations."""
        return replace(self, request_id=new_request_id(), redactions=Counter(), loaders={}, _plan=None)

    def next_event(self) -> None:
        """A subscription's next event is evaluated like a new request: a fresh plan (the policy may have
        changed), fresh dataloaders, no redactions carried over."""
        self._plan = None
        self.loaders.clear()
        self.redactions.clear()

    def redact(self, coordinate: str, mode: str) -> None:
        """Note that a field was withheld ("hidden") or "masked" (reported in ``extensions.redactions``)."""
        self.redactions[(coordinate, mode)] += 1

    def loader(self, name: str, factory: Any) -> Any:
        if name not in self.loaders:
            self.loaders[name] = factory()
        return self.loaders[name]
