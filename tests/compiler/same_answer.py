"""What "the compiled path answers as the resolvers do" means, checked on two response bodies.

Equal ``data``, equal ``errors`` (message, path, ``extensions.code``, in order) and equal
``extensions.redactions`` (absent counts as none). The one tolerance: ``remainingSeconds`` (business
seconds to an SLA due time) is computed from each request's own "now", so the two answers may differ
by up to ``REMAINING_SECONDS_SLACK`` there. Everything else, including every other time, compares
exactly.
"""

from __future__ import annotations

from typing import Any

REMAINING_SECONDS_SLACK = 2
TIME_DEPENDENT = "remainingSeconds"


def assert_same(compiled: dict[str, Any], resolvers: dict[str, Any]) -> dict[str, str]:
    """Fail with the first difference; return the compiled answer's ``extensions.readPath`` (root
    response key -> "compiled" or "resolvers"; empty when the app does not say)."""
    differences: list[str] = []
    _compare(compiled.get("data"), resolvers.get("data"), "data", None, differences)
    assert not differences, "data differ:\n" + "\n".join(differences[:20])
    assert _errors(compiled) == _errors(resolvers), "errors differ"
    assert _redactions(compiled) == _redactions(resolvers), "extensions.redactions differ"
    return dict((compiled.get("extensions") or {}).get("readPath") or {})


def _errors(body: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    return [(error.get("message"), error.get("path"), (error.get("extensions") or {}).get("code"))
            for error in body.get("errors") or []]


def _redactions(body: dict[str, Any]) -> list[Any]:
    return (body.get("extensions") or {}).get("redactions") or []


def _compare(a: Any, b: Any, where: str, key: str | None, differences: list[str]) -> None:
    """Collect the paths where ``a`` (compiled) and ``b`` (resolvers) differ; ``key`` is the field name
    (response key) holding them, the alias when aliased. The tolerance applies to a key whose name is
    remainingSeconds: the SDL has no other field of that name, and an alias of it is chosen by tests."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            differences.append(f"{where}: keys {list(a)} != {list(b)}")
            return
        for name in a:
            _compare(a[name], b[name], f"{where}.{name}", name, differences)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            differences.append(f"{where}: {len(a)} items != {len(b)} items")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, f"{where}[{i}]", key, differences)
    elif (key is not None and key.startswith(TIME_DEPENDENT) and type(a) is int and type(b) is int
          and abs(a - b) <= REMAINING_SECONDS_SLACK):
        return
    elif type(a) is not type(b) or a != b:
        differences.append(f"{where}: {a!r} != {b!r}")
