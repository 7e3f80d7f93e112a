"""A resolver that found the database too busy: SERVICE_UNAVAILABLE with Retry-After, not INTERNAL_ERROR."""

from __future__ import annotations

from typing import Any

import structlog
from graphql.error import GraphQLError

from rapport.db_busy import MESSAGE, RETRY_AFTER_SECONDS

log = structlog.get_logger("rapport.graphql")


def service_unavailable(error: GraphQLError, context: Any) -> GraphQLError:
    """The error the client gets; over HTTP the response becomes 503 with ``Retry-After``."""
    log.warning("database busy", request_id=getattr(context, "request_id", None), path=error.path,
                reason=type(error.original_error).__name__)
    response = getattr(context, "response", None)
    if response is not None:
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return GraphQLError(
        message=MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": "SERVICE_UNAVAILABLE", "retryAfter": RETRY_AFTER_SECONDS},
    )
