"""Typed payload errors: expected failures of mutations are data, with a code and the input path."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError

from rapport.services.errors import DomainError
from rapport.services.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Why a mutation did not do what was asked.")


@strawberry.interface(description="An expected failure a client can show next to the input that caused it.")
class UserError:
    message: str
    path: list[str] | None = strawberry.field(description='The input field at fault, e.g. ["input", "phone"].')
    code: ErrorCode


@strawberry.type(description="A problem with one input field (or the whole input when path is null).")
class FieldError(UserError):
    pass


def forbidden(payload: type) -> Callable[[], object]:
    """The payload a mutation returns when the gate refuses it (see graphql.gate.secured)."""
    return lambda: payload(errors=[FieldError(message="you may not do this", path=None, code=DomainErrorCode.FORBIDDEN)])


def field_errors(error: DomainError) -> list[FieldError]:
    return [
        FieldError(message=p.message, path=list(p.path) if p.path is not None else None, code=p.code)
        for p in error.problems
    ]


class ClientError(GraphQLError):
    """A bad query argument (not a mutation input): a GraphQL error the client must fix, never masked."""

    def __init__(self, message: str):
        super().__init__(message, extensions={"code": "BAD_USER_INPUT"})
