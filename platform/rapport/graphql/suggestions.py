"""Production error messages that do not teach the schema.

graphql-core's validation and value coercion answer a misspelt name with "Did you mean ...?" for
arguments, enum values, input fields and types (strawberry's ``disable_field_suggestions`` covers
fields only), and many messages name schema types the client never wrote ("Cannot query field 'x' on
type 'CustomerConnection'", "Argument 'Query.customer(id:)' of type 'ID!' is required"). Tools such as
clairvoyance rebuild a schema from exactly these answers, without introspection.

In production every error message goes through ``without_schema_names``: suggestions are dropped, and
the messages that name what exists are rewritten to name only what the client wrote, so an answer
reads the same for a near miss and for a random name. Development keeps graphql-core's messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from graphql import GraphQLError
from graphql.validation import ValidationContext, ValidationRule

_NAME = r"'[^']*'"
_DID_YOU_MEAN = re.compile(r"\s*Did you mean [^?]*\?")

# (pattern, replacement), applied in order anywhere in a message: variable and argument coercion errors
# embed the message of the value that failed ("Variable '$w' has invalid value: <message>").
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern, re.DOTALL), replacement) for pattern, replacement in (
    # Unknown input field: the message differs in punctuation with and without a suggestion, and echoes
    # the whole value; the field name the client wrote is all it needs.
    (rf"Expected value of type {_NAME} not to include unknown field ('[^']*').*", r"Unknown input field \1."),
    (rf"Expected value of type {_NAME} to include required field {_NAME}.*", "An input object lacks a required field."),
    (rf"Field {_NAME} of required type {_NAME} was not provided\.", "An input object lacks a required field."),
    (rf"Cannot query field ('[^']*') on type {_NAME}\.", r"Cannot query field \1."),
    (rf"Unknown argument ('[^']*') on field {_NAME}\.", r"Unknown argument \1."),
    (rf"Value ('[^']*') does not exist in {_NAME} enum\.", r"Value \1 is not a value of this enum."),
    (rf"Enum {_NAME} cannot represent", "This enum cannot represent"),
    (rf"Argument {_NAME} of type {_NAME} is required, but it was not provided\.", "A required argument was not provided."),
    (rf"Argument {_NAME} of required type {_NAME} was not provided\.", "A required argument was not provided."),
    (rf"Field ('[^']*') of type {_NAME} must have a selection of subfields\.", r"Field \1 must have a selection of subfields."),
    (rf"Field ('[^']*') must not have a selection since type {_NAME} has no subfields\.", r"Field \1 must not have a selection."),
    (rf"Variable ('[^']*') of type ('[^']*') used in position expecting type {_NAME}\.",
     r"Variable \1 of type \2 cannot be used in this position."),
    (rf"Expected value of type {_NAME}(?: to be valid)?, found", "Invalid value, found"),
    (rf"Fragment (('[^']*' )?)cannot be spread here as objects of type {_NAME} can never be of type {_NAME}\.",
     r"Fragment \1cannot be spread here."),
    (rf"they return conflicting types {_NAME} and {_NAME}", "they return conflicting types"),
))


class HideSuggestions(ValidationRule):
    """Production validation computes no suggestions at all (graphql-core's ``hide_suggestions``, which
    strawberry does not pass); ``quieten`` still covers value coercion and any message this misses."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        # A read-only property over this attribute in graphql-core 3.3; were it renamed, the suggestions
        # would be computed again but still removed by ``quieten`` (the tests check the answers).
        context._hide_suggestions = True  # noqa: SLF001


def without_schema_names(message: str) -> str:
    """``message`` with no suggestion and no schema name the client did not write (idempotent)."""
    message = _DID_YOU_MEAN.sub("", message)
    for pattern, replacement in _REWRITES:
        message = pattern.sub(replacement, message)
    return message


def quieten(errors: Iterable[GraphQLError]) -> None:
    """Rewrite the errors' messages in place (strawberry's own suggestion removal works the same way;
    errors from the validation cache come back already rewritten, which is why the rewrite is idempotent)."""
    for error in errors:
        error.message = without_schema_names(error.message)
