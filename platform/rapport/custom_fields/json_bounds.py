"""Bounds on a JSON value that a client sends for ``custom`` (mutation inputs and filters).

Every layer below (orjson, the JSON column, the SQL driver, the error log) has limits of its own:
orjson stops at 255 levels, PostgreSQL refuses NUL in text and integers past 64 bits. Checking here,
once and without recursion, turns each of those into a client error before anything else touches it.
"""

from __future__ import annotations

import math
from typing import Any

MAX_DEPTH = 16
MAX_NODES = 2_000  # objects, lists and scalars together
MAX_TEXT = 10_000  # characters of one string or key
INT_RANGE = (-(2**63), 2**63 - 1)


def json_problem(value: Any) -> str | None:
    """Why ``value`` is not a bounded JSON value, or None when it is."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return f"has more than {MAX_NODES} values"
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                return f"nests more than {MAX_DEPTH} levels deep"
            for key, child in item.items():
                problem = _text_problem(key) if isinstance(key, str) else "has a key that is not a string"
                if problem:
                    return problem
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                return f"nests more than {MAX_DEPTH} levels deep"
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                return problem
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT_RANGE[0] <= item <= INT_RANGE[1]:
                return "has an integer outside the 64-bit range"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "has a number that is not finite"
        else:
            return "is not JSON"
    return None


def _text_problem(text: str) -> str | None:
    if len(text) > MAX_TEXT:
        return f"has a text longer than {MAX_TEXT} characters"
    if "\x00" in text:
        return "has a text with a NUL character"
    return None
