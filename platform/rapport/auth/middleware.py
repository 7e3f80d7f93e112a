"""ASGI middleware: every request but the health check must carry a valid bearer token or API key.

The Actor lands on ``scope["actor"]``. Failures are a 401 with a JSON body that says only
"invalid token" or "missing token": nothing about why a token failed.

WebSocket upgrades may come without a header (browsers cannot set one): they pass with no actor, and
the GraphQL view authenticates the graphql-transport-ws ``connection_init`` payload before it runs any
operation (``RapportGraphQL.on_ws_connect``). A header that is present must be valid, as for HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from rapport.auth.authenticate import actor_for_token, bearer_token
from rapport.services.errors import DomainError

PUBLIC_PATHS = frozenset({"/healthz"})


class AuthenticationMiddleware:
    def __init__(
        self, app: ASGIApp, signing_key: str, allow_anonymous: Callable[[Scope], bool] | None = None, plugins: Any = None
    ):
        self.app = app
        self.signing_key = signing_key
        self.allow_anonymous = allow_anonymous or (lambda scope: False)
        self.plugins = plugins  # a PluginHost: ``actor_from_request`` for requests without a token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        token = bearer_token(headers.get("authorization"))
        actor = await actor_for_token(token, self.signing_key) if token else None
        if token is None and self.plugins is not None and self.plugins.implementations("actor_from_request"):
            try:
                found = await self.plugins.call_first("actor_from_request", headers=headers, settings=self.plugins.settings)
            except DomainError:  # a failing plugin authenticates nobody (the dispatcher logged it)
                found = None
            actor = found[1] if found else None
        upgrade_without_header = scope["type"] == "websocket" and token is None
        if actor is None and not upgrade_without_header and not self.allow_anonymous(scope):
            await _reject(scope, send, "invalid token" if token else "missing token")
            return
        scope["actor"] = actor
        scope["credential"] = token if actor is not None else None
        await self.app(scope, receive, send)


async def _reject(scope: Scope, send: Send, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4401, "reason": message})
        return
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]})
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="rapport"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
