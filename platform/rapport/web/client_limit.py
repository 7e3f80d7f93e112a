"""ASGI middleware: every request costs its client IP one point, before authentication.

This bounds what one address can do without a valid token (guessing keys, flooding the endpoint);
GraphQL operations are then charged their estimated cost (``rapport.graphql.cost``) to the same IP
bucket and to the actor's. The bucket is keyed on a parsed IP address (``rapport.web.client_address``). Over budget: HTTP 429 with ``Retry-After``; a WebSocket is closed (4429).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from rapport.web.client_address import scope_address_key
from rapport.web.rate_limit import Charge, RateLimiter

EXEMPT_PATHS = frozenset({"/healthz"})


class ClientRateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter, capacity: int, window: float, enabled: bool = True):
        self.app = app
        self.limiter = limiter
        self.capacity = capacity
        self.window = window
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] not in ("http", "websocket") or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        decision = await self.limiter.take([Charge(scope_address_key(scope), 1, self.capacity, self.window)])
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4429, "reason": "rate limit exceeded"})
            return
        body = orjson.dumps({"errors": [{"message": "rate limit exceeded", "extensions": {
            "code": "RATE_LIMITED", "retryAfter": int(decision.retry_after_header)}}]})
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", decision.retry_after_header.encode()),
        ]})
        await send({"type": "http.response.body", "body": body})
