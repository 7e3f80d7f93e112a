"""CORS for the configured browser origins (``RAPPORT_CORS_ORIGINS``), with Starlette's CORSMiddleware.

Sits in front of the rate limits and authentication: a preflight carries no token by design, so it
is answered here (200 with the allowed method and headers) and costs the client's address nothing.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# How long a browser may reuse a preflight answer (seconds; Chromium caps it at 7200).
PREFLIGHT_MAX_AGE = 600
ALLOWED_METHODS = ("POST",)  # GraphQL over GET is refused; the GraphiQL page is same-origin
ALLOWED_HEADERS = ("authorization", "content-type")
# Response headers a browser app may read: when to retry (429/503) and the id to quote in a report.
EXPOSED_HEADERS = ("retry-after", "x-request-id")


class AllowedOriginsCORS:
    """CORSMiddleware for the listed origins only: a request from any other origin, or with none, passes
    through untouched (Starlette would add its Vary/Allow-Methods/Expose headers to every origin)."""

    def __init__(self, app: ASGIApp, origins: frozenset[str]) -> None:
        self.app = app
        self.origins = origins
        self.cors = CORSMiddleware(
            app,
            allow_origins=sorted(origins),
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            allow_credentials=False,
            max_age=PREFLIGHT_MAX_AGE,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and Headers(scope=scope).get("origin") in self.origins:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
