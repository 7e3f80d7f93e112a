"""Outside GraphQL's own error handling (authentication reads the caller's agent, for one), a database
too busy to answer in time becomes HTTP 503 with ``Retry-After`` and a SERVICE_UNAVAILABLE error, not
a 500 with a traceback."""

from __future__ import annotations

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport.db_busy import MESSAGE, RETRY_AFTER_SECONDS, is_database_busy

log = structlog.get_logger("rapport.web")


class DatabaseBusyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started or not is_database_busy(error):
                raise
            log.warning("database busy", reason=type(error).__name__)
            await _unavailable(send)


async def _unavailable(send: Send) -> None:
    body = orjson.dumps({"errors": [{"message": MESSAGE, "extensions": {
        "code": "SERVICE_UNAVAILABLE", "retryAfter": RETRY_AFTER_SECONDS}}]})
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode())]})
    await send({"type": "http.response.body", "body": body})
