"""Benchmark: ``python -m rapport.graphql.limits_bench [--repeat N] [--production]``.

Builds, for each shape known to make GraphQL parsing or validation slow, the largest document that the
document limits (``rapport.graphql.document_limits``) still admit, and times parse plus validate with
the schema's own rules, as a request would run them (every run is a new text, so no cache helps).
It prints per shape the median and worst time, and at the end the worst of all: the longest a request
can hold the event loop before its operation runs. Figures are printed, never asserted: they depend on
the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

from graphql import GraphQLError, specified_rules, validate

from rapport.graphql.document_limits import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_LINES,
    MAX_SELECTIONS,
    MAX_TOKENS,
    check_text,
    parse_within_limits,
)
from rapport.settings import Settings

Shape = Callable[[], str]
# Each run starts with a unique comment line, which is a token of its own.
TOKENS = MAX_TOKENS - 1


def _fill(unit: str, unit_selections: int, unit_tokens: int, wrap: tuple[str, str] = ("{ ", " }"), wrap_tokens: int = 2,
          wrap_selections: int = 0) -> str:
    """As many ``unit`` (with its selections and tokens) inside ``wrap`` as the limits admit."""
    count = (TOKENS - wrap_tokens) // unit_tokens
    if unit_selections:
        count = min(count, (MAX_SELECTIONS - wrap_selections) // unit_selections)
    return wrap[0] + " ".join(unit.format(i=i) for i in range(count)) + wrap[1]


def _fragments(body: str, on: str, selections: int, tokens: int, root: tuple[str, str], root_tokens: int,
               root_selections: int) -> str:
    per = selections + 1  # the spread, plus the fragment's own selections
    count = min((MAX_SELECTIONS - root_selections) // per, (TOKENS - root_tokens) // (tokens + 2))
    spreads = " ".join(f"...f{i}" for i in range(count))
    definitions = " ".join(f"fragment f{i} on {on} {{ {body} }}" for i in range(count))
    return f"{root[0]}{spreads}{root[1]} {definitions}"


def _nested(depth: int) -> str:
    return "{ " + "a { " * depth + "b" + " }" * depth + " }"


def _errors_at_the_end(line: str) -> str:
    errors = " ".join(f"u{i}" for i in range(MAX_SELECTIONS - 1))
    tail = "{ " + errors + " }"
    lines = min(MAX_DOCUMENT_LINES - 2, (MAX_DOCUMENT_BYTES - 80 - len(tail)) // (len(line) + 1))
    return (line + "\n") * lines + tail


SHAPES: dict[str, Shape] = {
    # The reported attack: one response name selected again and again, each with a sub-selection.
    "duplicated fields": lambda: _fill("viewer {{ roles }}", 2, 4),
    "duplicated deep fields": lambda: _fill("viewer {{ agent {{ department {{ code }} }} }}", 4, 10),
    "duplicated leaves": lambda: _fill("roles", 1, 1, ("{ viewer { ", " } }"), 4, 1),
    "same name, different arguments": lambda: _fill("customers(first: {i}) {{ totalCount }}", 2, 9),
    "many aliases": lambda: _fill("a{i}: viewer {{ roles }}", 2, 6),
    "many inline fragments": lambda: _fill("... on Viewer {{ roles }}", 2, 6, ("{ viewer { ", " } }"), 4, 1),
    "many fragments": lambda: _fragments("roles", "Viewer", 1, 6, ("{ viewer { ", " } }"), 4, 1),
    "fragments with duplicated fields": lambda: _fragments("viewer { roles }", "Query", 2, 9, ("{ ", " }"), 2, 0),
    "deep nesting": lambda: _nested(MAX_SELECTIONS - 1),
    "many arguments": lambda: _fill("a{i}: 1", 0, 3, ("{ viewer(", ") { roles } }"), 8, 2),
    "many variables": lambda: _fill("$v{i}: Int", 0, 4, ("query(", ") { viewer { roles } }"), 9, 2),
    "many directives": lambda: _fill("@include(if: true)", 0, 7, ("{ viewer ", " { roles } }"), 6, 2),
    "long string": lambda: '{ node(id: "' + "x" * (MAX_DOCUMENT_BYTES - 80) + '") { id } }',
    # Every validation error scans the document for its line: many errors, far down a long document.
    "errors after long lines": lambda: _errors_at_the_end("#" + "x" * 60),
    "errors after many lines": lambda: _errors_at_the_end(""),
    "long names": lambda: "{ " + " ".join(
        "x" * ((MAX_DOCUMENT_BYTES - 80) // MAX_SELECTIONS - 1) for _ in range(MAX_SELECTIONS)) + " }",
    "comments": lambda: "{ viewer { roles } }" + "\n#" * (MAX_DOCUMENT_LINES - 2),
    "long list literal": lambda: (
        "query($ids: [ID!]! = [" + ", ".join('"a"' for _ in range(TOKENS - 26)) + "]) { nodes(ids: $ids) { id } }"),
}


def validation_rules(production: bool) -> list:
    from rapport.graphql.schema import PRODUCTION_RULES, LIMIT_RULES

    return [*specified_rules, *(PRODUCTION_RULES if production else LIMIT_RULES)]


def time_once(schema, rules: list, text: str) -> tuple[float, int]:
    """CPU seconds of this thread to parse and validate ``text`` made new (a unique comment), and the
    number of errors (-1: refused while parsing). CPU time, not wall time: on a busy machine the wall
    clock also counts other processes' turns, which do not hold this event loop."""
    text = f"# {uuid.uuid4().hex}\n{text}"
    began = time.thread_time()
    try:
        check_text(text)
        document = parse_within_limits.__wrapped__(text)
    except GraphQLError:
        return time.thread_time() - began, -1
    errors = validate(schema, document, rules)
    return time.thread_time() - began, len(errors)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per shape (default 20)")
    parser.add_argument("--production", action="store_true", help="the production schema and rules")
    args = parser.parse_args(argv)

    from rapport.graphql.schema import build_schema
    from rapport.runtime import freeze_long_lived

    settings = Settings(env="production", secret_key="x" * 32) if args.production else None
    schema = build_schema(settings)._schema
    rules = validation_rules(args.production)
    freeze_long_lived()  # as a serving process does once started: the schema is out of the collector's way
    print(f"limits: {MAX_DOCUMENT_BYTES} bytes, {MAX_DOCUMENT_LINES} lines, {MAX_TOKENS} tokens, {MAX_SELECTIONS} selections; "
          f"{'production' if args.production else 'development'} rules; {args.repeat} runs each")
    print(f"{'shape':34} {'bytes':>7} {'errors':>7} {'median CPU ms':>14} {'worst CPU ms':>13}")
    worst_median, worst_run = (0.0, ""), (0.0, "")
    for name, shape in SHAPES.items():
        text = shape()
        runs = [time_once(schema, rules, text) for _ in range(args.repeat)]
        seconds = [run[0] for run in runs]
        errors = "refused" if runs[0][1] < 0 else str(runs[0][1])
        print(f"{name:34} {len(text.encode()):>7} {errors:>7} {1000 * statistics.median(seconds):>14.1f} "
              f"{1000 * max(seconds):>13.1f}")
        worst_median = max(worst_median, (statistics.median(seconds), name))
        worst_run = max(worst_run, (max(seconds), name))
    # A single run's worst also holds the garbage collector's passes and, on a busy machine, other
    # processes' cache and frequency effects: the median is the document's own cost.
    print(f"worst parse + validate: median {1000 * worst_median[0]:.1f} ms ({worst_median[1]}), "
          f"single run {1000 * worst_run[0]:.1f} ms ({worst_run[1]})")


if __name__ == "__main__":
    main()
