"""The GraphQL HTTP/WebSocket endpoint: strawberry's ASGI app with Rapport's context and limits."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import orjson
import strawberry
import structlog
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from rapport.auth.authenticate import bearer_token
from rapport.graphql.context import RapportContext, new_request_id
from rapport.graphql.socket_handler import RapportTransportWSHandler
from rapport.graphql.socket_identity import reauthenticate
from rapport.settings import Settings

log = structlog.get_logger("rapport.graphql")

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)

# GraphiQL's subscriptions authenticate like its queries: the headers pane (e.g. {"Authorization": "Bearer ..."})
# becomes the connection_init payload, whatever the bundled toolkit version does with it.
_IDE_FETCHER = """      const fetcher = GraphiQL.createFetcher({
        url: fetchURL,
        headers: defaultHeaders,
        subscriptionUrl,
      });"""
_IDE_FETCHER_WITH_WS_HEADERS = """      const fetcher = (params, options) => GraphiQL.createFetcher({
        url: fetchURL,
        headers: defaultHeaders,
        subscriptionUrl,
        wsConnectionParams: (options && options.headers) || {},
      })(params, options);"""


class RapportGraphQL(GraphQL):
    """Queries over GET are refused (a GET must never change state nor leak through caches/logs);
    every refusal of a malformed request is a JSON error, never a 500.

    WebSockets speak graphql-transport-ws only. A connection authenticates with its ``connection_init``
    payload (``{"Authorization": "Bearer <token or API key>"}``, the shape GraphiQL sends from its headers
    pane) unless the upgrade request carried a valid header; otherwise it is closed with 4403 and no
    operation ever runs (the protocol refuses ``subscribe`` before the connection is acknowledged).
    Afterwards every operation is authorized with the credential and policy as they are then, and the
    socket closes with 4401 when the token expires or stops proving anyone (``RapportTransportWSHandler``)."""

    graphql_transport_ws_handler_class = RapportTransportWSHandler

    def __init__(self, schema: strawberry.Schema, settings: Settings):
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        )
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except ClientDisconnect:
            # The client went away before its request was read: nobody is left to answer, and nothing
            # went wrong here (not a server error, no traceback).
            log.debug("client disconnected before its request was read", request_id=scope.get("request_id"))
            return
        except HTTPException as error:
            response = JSONResponse(
                {"errors": [{"message": error.reason, "extensions": {"code": "BAD_REQUEST"}}]}, status_code=error.status_code
            )
        await response(scope, receive, send)

    @property
    def graphql_ide_html(self) -> str:
        return super().graphql_ide_html.replace(_IDE_FETCHER, _IDE_FETCHER_WITH_WS_HEADERS)

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, "The request body must be a JSON object")
        return value

    def encode_json(self, data: object) -> str:
        # Text, never bytes: strawberry sends bytes as a binary WebSocket frame, and graphql-transport-ws
        # clients (GraphiQL's graphql-ws among them) accept text frames only. HTTP responses re-encode it.
        return orjson.dumps(data).decode()

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None = None) -> RapportContext:
        return RapportContext(
            request=request,
            response=response if isinstance(response, Response) else None,
            settings=self.settings,
            actor=request.scope.get("actor"),
            request_id=request.scope.get("request_id") or new_request_id(),
            credential=request.scope.get("credential"),
            checked_at=time.monotonic(),
        )

    async def on_ws_connect(self, context: RapportContext) -> UnsetType | dict[str, object] | None:
        if context.actor is not None:  # the upgrade request carried a valid header
            return UNSET
        context.credential = connection_token(context.connection_params)
        if context.credential is None or await reauthenticate(context) is None:
            raise ConnectionRejectionError()
        return UNSET


def connection_token(params: dict[str, Any] | None) -> str | None:
    """The token of a connection_init payload: ``Authorization: Bearer ...`` (any case), or ``token``."""
    if not params:
        return None
    for key, value in params.items():
        if isinstance(value, str) and key.lower() == "authorization":
            return bearer_token(value)
    for key in ("token", "authToken"):
        if isinstance(params.get(key), str) and params[key].strip():
            return params[key].strip()
    headers = params.get("headers")  # some clients nest the headers
    return connection_token(headers) if isinstance(headers, dict) else None

