"""The GraphQL HTTP/WebSocket endpoint: strawberry's ASGI app with Rapport's context and limits."""

from __future__ import annotations

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from rapport.graphql.context import RapportContext, new_request_id
from rapport.settings import Settings


class RapportGraphQL(GraphQL):
    """Queries over GET are refused (a GET must never change state nor leak through caches/logs)."""

    def __init__(self, schema: strawberry.Schema, settings: Settings):
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
        )
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket | None = None) -> RapportContext:
        return RapportContext(
            request=request,
            response=response if isinstance(response, Response) else None,
            settings=self.settings,
            actor=request.scope.get("actor"),
            request_id=request.scope.get("request_id") or new_request_id(),
        )
