"""Document limits before validation: size, tokens and selections are refused with DOCUMENT_TOO_LARGE
before any quadratic work, a document just under every limit still runs, and large documents pay for
their parsing out of the rate-limit budget."""

from __future__ import annotations

import uuid

import httpx
import pytest

from rapport.app import create_app
from rapport.graphql.document_limits import (
    DOCUMENT_BYTES_PER_POINT,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_LINES,
    MAX_SELECTIONS,
    MAX_TOKENS,
    MAX_VALIDATION_ERRORS,
    check_text,
    parse_within_limits,
    selection_count,
)
from tests.support.graphql import bearer, gql, make_agent


@pytest.fixture
async def headers(db, settings):
    agent = await make_agent("limits@example.com", roles=("agent@sales",))
    return bearer(agent, settings)


def unique() -> str:
    """A comment that makes each document new to the parse and validation caches, as an attacker would."""
    return f"# {uuid.uuid4().hex}\n"


def duplicated(count: int) -> str:
    return unique() + "{ " + " ".join("viewer { roles }" for _ in range(count)) + " }"


def code_and_limit(response: httpx.Response) -> tuple[str, str]:
    body = response.json()
    assert body.get("data") is None, body
    extensions = body["errors"][0]["extensions"]
    return extensions["code"], extensions.get("limit")


async def test_twelve_hundred_duplicated_selections_are_refused_before_validation(headers, http) -> None:
    assert code_and_limit(await gql(http, duplicated(1_200), headers))[0] == "DOCUMENT_TOO_LARGE"


async def test_selections_over_the_limit_are_refused_just_under_they_run(headers, http) -> None:
    # viewer { roles } is two selections; comments and whitespace are none.
    over = await gql(http, duplicated(MAX_SELECTIONS // 2 + 1), headers)
    assert code_and_limit(over) == ("DOCUMENT_TOO_LARGE", "selections")
    under = (await gql(http, duplicated(MAX_SELECTIONS // 2), headers)).json()
    assert "errors" not in under and under["data"]["viewer"]["roles"]


async def test_fragment_definitions_count_towards_the_selections(headers, http) -> None:
    fragments = MAX_SELECTIONS // 2
    spreads = " ".join(f"...f{i}" for i in range(fragments))
    document = unique() + f"{{ viewer {{ {spreads} }} }} " + " ".join(f"fragment f{i} on Viewer {{ roles }}" for i in range(fragments))
    assert code_and_limit(await gql(http, document, headers)) == ("DOCUMENT_TOO_LARGE", "selections")


def tokens(document: str) -> int:
    """The tokens graphql-core counts in ``document`` (comments included)."""
    from graphql import GraphQLSyntaxError, parse

    low, high = 1, MAX_TOKENS * 2
    while low < high:
        middle = (low + high) // 2
        try:
            parse(document, max_tokens=middle)
        except GraphQLSyntaxError:
            low = middle + 1
        else:
            high = middle
    return low


def with_tokens(count: int) -> str:
    """A valid query of exactly ``count`` tokens on two lines: the tokens are a variable's default list."""
    head, tail = unique() + 'query($ids: [ID!]! = [', ']) { viewer { roles } nodes(ids: $ids) { id } }'
    ids = count - tokens(head + tail)
    document = head + ", ".join('"x"' for _ in range(ids)) + tail
    assert tokens(document) == count
    return document


async def test_tokens_over_the_limit_are_refused_just_under_they_run(headers, http) -> None:
    at_limit = (await gql(http, with_tokens(MAX_TOKENS), headers, ids=[])).json()
    assert "errors" not in at_limit and at_limit["data"]["viewer"]["roles"]
    assert code_and_limit(await gql(http, with_tokens(MAX_TOKENS + 1), headers, ids=[])) == ("DOCUMENT_TOO_LARGE", "tokens")


async def test_lines_over_the_limit_are_refused_just_under_they_run(headers, http) -> None:
    query = unique() + "{ viewer { roles } }"  # two lines
    at_limit = query + "\n" * (MAX_DOCUMENT_LINES - 2)
    assert (await gql(http, at_limit, headers)).json()["data"]["viewer"]["roles"]
    assert code_and_limit(await gql(http, at_limit + "\r", headers)) == ("DOCUMENT_TOO_LARGE", "lines")


async def test_bytes_over_the_limit_are_refused_before_parsing(headers, http) -> None:
    query = unique() + "{ viewer { roles } }"
    at_limit = query + " " * (MAX_DOCUMENT_BYTES - len(query))
    assert (await gql(http, at_limit, headers)).json()["data"]["viewer"]["roles"]
    # Over the limit, even a document that would not parse at all is refused for its size.
    assert code_and_limit(await gql(http, at_limit + " ", headers)) == ("DOCUMENT_TOO_LARGE", "bytes")
    assert code_and_limit(await gql(http, "{" * (MAX_DOCUMENT_BYTES + 1), headers)) == ("DOCUMENT_TOO_LARGE", "bytes")


async def test_a_large_document_pays_for_its_parsing_before_it_is_parsed(db, settings) -> None:
    agent = await make_agent(f"parse-{uuid.uuid4().hex[:8]}@example.com", roles=("agent@sales",))
    budget = 500
    small = settings.model_copy(update={"rate_limit_actor": budget, "rate_limit_ip": 1_000_000, "rate_limit_window": 3600})
    app = create_app(small, manage_database=False)
    # Unparsable: only the charge before parsing can take its points.
    garbage = "{" + " " * (DOCUMENT_BYTES_PER_POINT * 150)  # 150 points each
    assert len(garbage) <= MAX_DOCUMENT_BYTES
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test") as client:
            statuses = [(await gql(client, garbage, bearer(agent, settings))).status_code for _ in range(4)]
            assert statuses[:3] == [200, 200, 200] and statuses[3] == 429  # parse errors are answers; the fourth is refused
            refused = (await gql(client, garbage, bearer(agent, settings))).json()
            assert refused["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    finally:
        await app.state.rate_limiter.close()


async def test_a_repeated_document_pays_for_its_parsing_once(db, settings) -> None:
    # The parsed document is cached: asking again parses nothing, so only the first ask pays for it.
    agent = await make_agent(f"parse-{uuid.uuid4().hex[:8]}@example.com", roles=("agent@sales",))
    small = settings.model_copy(update={"rate_limit_actor": 500, "rate_limit_ip": 1_000_000, "rate_limit_window": 3600})
    app = create_app(small, manage_database=False)
    padded = unique() + "{ viewer { roles } }" + " " * (DOCUMENT_BYTES_PER_POINT * 150)  # 150 points to parse
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test") as client:
            answers = [(await gql(client, padded, bearer(agent, settings))).json() for _ in range(6)]
            assert all("errors" not in answer for answer in answers), answers[-1]
    finally:
        await app.state.rate_limiter.close()


async def test_validation_stops_after_a_few_errors(headers, http) -> None:
    # Each error also scans the document for its line: a hundred of them far down a long document cost
    # more than validating it.
    unknown = unique() + "{ " + " ".join(f"unknown{i}" for i in range(MAX_SELECTIONS)) + " }"
    errors = (await gql(http, unknown, headers)).json()["errors"]
    assert len(errors) == MAX_VALIDATION_ERRORS + 1 and "Validation aborted" in errors[-1]["message"]


def test_selection_count_counts_what_is_written() -> None:
    from graphql import parse

    document = parse("{ a { b ...F ... on T { c } } } fragment F on T { d e }")
    assert selection_count(document) == 7  # a, b, ...F, ... on T, c, d, e


def test_the_parse_is_cached_and_limited() -> None:
    query = unique() + "{ viewer { roles } }"
    assert parse_within_limits(query) is parse_within_limits(query)


async def test_over_a_websocket_a_large_document_is_an_error_message(db, settings, headers) -> None:
    from tests.support.live import graphql_socket, serving

    app = create_app(settings, manage_database=False)
    too_many = "subscription { " + " ".join(f"t{i}: ticketChanged {{ id }}" for i in range(MAX_SELECTIONS)) + " }"
    async with serving(app) as base_url, graphql_socket(base_url, headers) as socket:
        assert (await socket.init())["type"] == "connection_ack"
        op = await socket.subscribe(unique() + too_many)
        message = await socket.next()
        assert message["type"] == "error" and message["id"] == op, message
        assert message["payload"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
        # The connection stays usable.
        op = await socket.subscribe("{ viewer { roles } }")
        assert (await socket.next())["payload"]["data"]["viewer"]["roles"]


def test_the_benchmark_documents_are_the_largest_the_limits_admit(capsys) -> None:
    from rapport.graphql.limits_bench import SHAPES, main

    for name, shape in SHAPES.items():
        text = "#\n" + shape()  # the bench makes each run new with a comment line
        check_text(text)  # admitted: none is refused by a limit
        parse_within_limits.__wrapped__(text)
    main(["--repeat", "1"])
    assert "worst parse + validate" in capsys.readouterr().out
