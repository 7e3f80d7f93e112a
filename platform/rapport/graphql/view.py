"""The GraphQL HTTP/WebSocket endpoint: strawberry's ASGI app with Rapport's context and limits."""

from __future__ import annotations

import orjson
import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from rapport.graphql.context import RapportContext, new_request_id
from rapport.settings import Settings


class RapportGraphQL(GraphQL):
    """Queries over GET are refused (a GET must never change state nor leak through caches/logs);
    every refusal of a malformed request is a JSON error, never a 500."""

    def __init__(self, schema: strawberry.Schema, settings: Settings):
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
        )
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            response = JSONResponse(
                {"errors": [{"message": error.reason, "extensions": {"code": "BAD_REQUEST"}}]}, status_code=error.status_code
            )
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, "The request body must be a JSON object")
        return value

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None = None) -> RapportContext:
        return RapportContext(
            request=request,
            response=response if isinstance(response, Response) else None,
            settings=self.settings,
            actor=request.scope.get("actor"),
            request_id=request.scope.get("request_id") or new_request_id(),
        )

