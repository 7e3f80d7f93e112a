"""Limits on a GraphQL document, applied before the work they bound.

Parsing and validating run on the event loop, and graphql-core's validation is not linear: its
overlapping-fields rule compares fields that share a response name pairwise, so ~1,200 duplicated
``viewer { roles }`` held the loop for more than a second. Query cost (``rapport.graphql.cost``) is
charged only after validation, too late for that. So, in order:

1. before parsing: the document's size in bytes and lines, then, unless the document is already parsed
   and cached, a charge for its length to the caller's rate-limit buckets (``DOCUMENT_BYTES_PER_POINT``):
   a repeated operation does not pay a second rate-limit round trip for work that is not done;
2. while parsing: its tokens (graphql-core stops lexing at the limit);
3. after parsing, before validation: its selections (fields, fragment spreads and inline fragments,
   fragment definitions included), counted in one linear pass;
4. while validating: its errors (``ValidationErrorBudget``).

Together these keep parse plus validate of any admitted document to a few tens of milliseconds:
``python -m rapport.graphql.limits_bench`` prints the worst case. A document over a limit gets the
error code ``DOCUMENT_TOO_LARGE`` naming the limit; one without the points gets ``RATE_LIMITED``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from graphql import DocumentNode, FieldNode, FragmentSpreadNode, GraphQLError, GraphQLSyntaxError, InlineFragmentNode, parse
from graphql.validation import ValidationContext, ValidationRule
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from rapport.graphql.cost import RateLimited, limiter_of
from rapport.web.client_address import scope_address_key
from rapport.web.rate_limit import Charge

MAX_DOCUMENT_BYTES = 32_768
# Each validation error finds its line by scanning the document up to it, newline by newline in Python.
MAX_DOCUMENT_LINES = 1_000
MAX_TOKENS = 1_500
MAX_SELECTIONS = 150
# Every whole 50 bytes of document text cost one point before parsing: a short query costs nothing
# extra, a large one pays for its parsing even when it never runs.
DOCUMENT_BYTES_PER_POINT = 50
PARSE_CACHE_SIZE = 256
# Validation stops after this many errors (graphql-core's own default is 100): every error also scans
# the document for its line, and a client needs the first few to fix a document.
MAX_VALIDATION_ERRORS = 10

_TOKEN_LIMIT_MESSAGE = "Syntax Error: Document contains more than"


class DocumentTooLarge(GraphQLError):
    def __init__(self, limit: str, maximum: int, found: int | None = None):
        seen = f" (this one: {found})" if found is not None else ""
        super().__init__(
            f"document too large: at most {maximum} {limit} per document{seen}; "
            "send values as variables and split large operations",
            extensions={"code": "DOCUMENT_TOO_LARGE", "limit": limit, "max": maximum},
        )


class ValidationErrorBudget(ValidationRule):
    """Aborts validation after MAX_VALIDATION_ERRORS errors (strawberry validates with graphql-core's
    default of 100 and has no setting for it)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        report = context.on_error
        reported = 0

        def within_budget(error: GraphQLError) -> None:
            nonlocal reported
            if reported >= MAX_VALIDATION_ERRORS:
                raise ValidationAbortedError("Too many validation errors, error limit reached. Validation aborted.")
            reported += 1
            report(error)

        context.on_error = within_budget  # type: ignore[method-assign]


def selection_count(document: DocumentNode) -> int:
    """Fields, fragment spreads and inline fragments written in the document (not expanded)."""
    count = 0
    pending = [definition.selection_set for definition in document.definitions if getattr(definition, "selection_set", None)]
    while pending:  # a stack, not recursion: nesting is not bounded yet when this runs
        for node in pending.pop().selections:
            if isinstance(node, (FieldNode, FragmentSpreadNode, InlineFragmentNode)):
                count += 1
            if getattr(node, "selection_set", None) is not None:
                pending.append(node.selection_set)
    return count


def _parse(query: str) -> DocumentNode:
    """The parsed document, or DocumentTooLarge; syntax errors pass through."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if error.message.startswith(_TOKEN_LIMIT_MESSAGE):
            raise DocumentTooLarge("tokens", MAX_TOKENS) from None
        raise
    found = selection_count(document)
    if found > MAX_SELECTIONS:
        raise DocumentTooLarge("selections", MAX_SELECTIONS, found)
    return document


class _ParseCache:
    """Parsed documents by their text, least recently used dropped first. It can say whether a text is
    held: only a document that will really be parsed pays the parse charge."""

    def __init__(self, parse_text: Callable[[str], DocumentNode], size: int) -> None:
        self.__wrapped__ = parse_text
        self.size = size
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()

    def holds(self, query: str) -> bool:
        return query in self._documents

    def __call__(self, query: str) -> DocumentNode:
        document = self._documents.get(query)
        if document is None:
            document = self._documents[query] = self.__wrapped__(query)
            if len(self._documents) > self.size:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(query)
        return document


parse_within_limits = _ParseCache(_parse, PARSE_CACHE_SIZE)
"""The parsed document (cached by its text), or DocumentTooLarge; syntax errors pass through."""


def check_text(query: str) -> None:
    """DocumentTooLarge when the text is over the limits checked before parsing (bytes, lines)."""
    size = len(query.encode())
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge("bytes", MAX_DOCUMENT_BYTES, size)
    lines = line_count(query)
    if lines > MAX_DOCUMENT_LINES:
        raise DocumentTooLarge("lines", MAX_DOCUMENT_LINES, lines)


def line_count(query: str) -> int:
    """Lines as graphql-core counts them (\r\n, \n and \r each end one)."""
    return query.count("\n") + query.count("\r") - query.count("\r\n") + 1


def document_points(query: str) -> int:
    return len(query.encode()) // DOCUMENT_BYTES_PER_POINT


class DocumentLimits(SchemaExtension):
    """Size and parse charge before parsing; a limited, cached parse; the selection count before validation.

    It replaces strawberry's ParserCache and MaxTokensLimiter: their cached parse would hand a cached
    oversized document to validation without counting it again."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        query = self.execution_context.query
        if query is not None:
            check_text(query)
            if not parse_within_limits.holds(query):  # a cached document costs no parsing: no second charge
                await _charge(self.execution_context.context, document_points(query))
        yield

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.query is not None and execution.graphql_document is None:
            execution.graphql_document = parse_within_limits(execution.query)
        yield


async def refusals_as_results(results: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """A stream (WebSocket operations) whose refusal before its first result - a limit, a syntax error,
    the parse charge - arrives as an ``error`` message, as over HTTP, rather than failing the stream."""
    from strawberry.types.execution import PreExecutionError

    try:
        first = await anext(results)
    except StopAsyncIteration:
        return
    except GraphQLError as error:
        yield PreExecutionError(data=None, errors=[error])
        return
    yield first
    async for result in results:
        yield result


async def _charge(context: Any, points: int) -> None:
    settings = getattr(context, "settings", None)
    limiter = limiter_of(context)
    if points <= 0 or settings is None or limiter is None or not settings.rate_limit_enabled:
        return
    actor = context.actor.subject if context.actor is not None else "anonymous"
    decision = await limiter.take([
        Charge(f"actor:{actor}", points, settings.rate_limit_actor, settings.rate_limit_window),
        Charge(scope_address_key(context.request.scope), points, settings.rate_limit_ip, settings.rate_limit_window),
    ])
    if not decision.allowed:
        if getattr(context, "response", None) is not None:
            context.response.status_code = 429
            context.response.headers["Retry-After"] = decision.retry_after_header
        raise RateLimited(decision.retry_after_header, points)
