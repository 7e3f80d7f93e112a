"""Unexpected errors are masked: the client gets a request id, the log gets the traceback."""

from __future__ import annotations

import structlog
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from rapport.db_busy import is_database_busy
from rapport.graphql.service_unavailable import service_unavailable

log = structlog.get_logger("rapport.graphql")

UNEXPECTED_MESSAGE = "Unexpected error. Quote the request id to the operators."


def is_unexpected(error: GraphQLError) -> bool:
    """Errors raised by our code (not GraphQL validation or parsing) are unexpected."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=UNEXPECTED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if is_database_busy(error.original_error):  # load, not a bug: the client may retry
            return service_unavailable(error, self.execution_context.context)
        request_id = getattr(self.execution_context.context, "request_id", None)
        log.error(
            "unexpected error in resolver",
            request_id=request_id,
            path=error.path,
            exc_info=error.original_error,
        )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_ERROR", "requestId": request_id},
        )
