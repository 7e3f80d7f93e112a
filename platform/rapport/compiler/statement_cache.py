"""Compiled statements, kept for the next request of the same shape.

The key: the document, the operation, the viewer's plan (its token), the departments' generation, the
installed custom fields, the dialect, which variables are given, and the values of the variables that
change the statement's text (filters, page sizes, orderings). The variables that only bind values - a
root field's ``id`` and its ``after``/``before`` cursor - are "symbolic": each parameter they feed keeps
a recipe, and a warm request only evaluates the recipes (parse the id, decode the cursor), binds, and
runs. A request whose symbolic value does not fit its recipe (an id of another type, a bad cursor)
compiles afresh, and so do statements that depend on the moment (the ``breached`` filter).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import OperationDefinitionNode, VariableNode

CACHE_SIZE = 512
MAX_KEPT_TEXT = 64 * 1024  # characters of SQL per entry: the cache stays within tens of megabytes
SYMBOLIC_ARGUMENTS = {"customer": ("id",), "ticket": ("id",), "customers": ("after", "before"),
                      "tickets": ("after", "before"), "interactions": ("after", "before")}


class RecipeFailed(Exception):
    """A symbolic variable's value does not fit the cached statement: compile afresh."""


@dataclass(frozen=True)
class Source:
    """Where a parameter comes from: ``recipe(variables)[index]`` (the recipe runs once per request)."""

    recipe: Callable[[dict[str, Any]], list[Any]]
    index: int


@dataclass
class Compiled:
    statements: list[tuple[str, str | None, list[Any], Any]]  # (response key, SQL, params or Sources, post-pass)
    nullable: dict[str, bool]


_entries: OrderedDict[tuple[Any, ...], Compiled] = OrderedDict()
_symbolic: dict[int, tuple[Any, frozenset[str]]] = {}


def forget_statements() -> None:
    _entries.clear()


def symbolic_variables(document: Any, operation: OperationDefinitionNode) -> frozenset[str]:
    """Variables used only as a root field's id or cursor (and nowhere else in the document)."""
    found = _symbolic.get(id(operation))
    if found is not None and found[0] is operation:
        return found[1]
    candidates: set[str] = set()
    for selection in operation.selection_set.selections:
        names = SYMBOLIC_ARGUMENTS.get(getattr(getattr(selection, "name", None), "value", ""), ())
        for argument in getattr(selection, "arguments", None) or ():
            if argument.name.value in names and isinstance(argument.value, VariableNode):
                candidates.add(argument.value.name.value)
    uses: dict[str, int] = {}

    def count(node: Any) -> None:
        if isinstance(node, VariableNode):
            uses[node.name.value] = uses.get(node.name.value, 0) + 1
            return
        for key in getattr(node, "keys", ()):
            if key in ("loc", "variable_definitions"):
                continue
            value = getattr(node, key, None)
            if isinstance(value, (list, tuple)):
                for item in value:
                    if hasattr(item, "keys"):
                        count(item)
            elif hasattr(value, "keys"):
                count(value)

    for definition in document.definitions:
        count(definition)
    result = frozenset(name for name in candidates if uses.get(name) == 1)
    if len(_symbolic) > 4 * CACHE_SIZE:
        _symbolic.clear()
    _symbolic[id(operation)] = (operation, result)
    return result


def cache_key(prefix: tuple[Any, ...], variables: dict[str, Any], symbolic: frozenset[str]) -> tuple[Any, ...] | None:
    presence = tuple(sorted((name, variables.get(name) is not None) for name in symbolic))
    try:
        rest = orjson.dumps({k: v for k, v in variables.items() if k not in symbolic}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return (*prefix, presence, rest)


def lookup(key: tuple[Any, ...]) -> Compiled | None:
    found = _entries.get(key)
    if found is not None:
        _entries.move_to_end(key)
    return found


def store(key: tuple[Any, ...], compiled: Compiled) -> None:
    if sum(len(sql or "") for _, sql, _, _ in compiled.statements) + len(key[0]) > MAX_KEPT_TEXT:
        return  # a huge document is compiled per request rather than held
    _entries[key] = compiled
    if len(_entries) > CACHE_SIZE:
        _entries.popitem(last=False)


def bind(params: list[Any], variables: dict[str, Any]) -> list[Any]:
    """The parameters of a cached statement for this request's variables."""
    if not any(isinstance(p, Source) for p in params):
        return params
    evaluated: dict[int, list[Any]] = {}
    out = []
    for param in params:
        if isinstance(param, Source):
            values = evaluated.get(id(param.recipe))
            if values is None:
                values = evaluated[id(param.recipe)] = param.recipe(variables)
            out.append(values[param.index])
        else:
            out.append(param)
    return out
