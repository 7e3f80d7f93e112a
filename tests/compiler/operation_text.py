"""A small model of a GraphQL read operation, and its text: fields with aliases and arguments, inline
fragments, named fragments and variables.

Generated operations are built as these objects rather than strings so that a test can take one it has
run and ask for the next page (``Operation.with_root_args``), and so that any argument can be written
either as a literal or as a variable with the same value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Union


class EnumValue(str):
    """An enum value: bare in a literal (``ASC``), a string in the variables' JSON."""


@dataclass(frozen=True)
class Var:
    """An argument passed as ``$name`` of GraphQL type ``type``; ``omitted``: declared but not sent."""
    name: str
    type: str
    value: Any
    omitted: bool = False


@dataclass
class Field:
    name: str
    alias: str | None = None
    args: dict[str, Any] = field(default_factory=dict)  # values: literals, or Var
    children: list[Selection] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The response key."""
        return self.alias or self.name


@dataclass
class Inline:
    on: str | None
    children: list[Selection]


@dataclass
class Spread:
    fragment: str


Selection = Union[Field, Inline, Spread]


@dataclass
class Operation:
    roots: list[Field]
    fragments: dict[str, tuple[str, list[Selection]]] = field(default_factory=dict)  # name -> (type, selections)

    def variables(self) -> list[Var]:
        found: dict[str, Var] = {}
        for root in self.roots:
            _collect(root, found)
        for _, selections in self.fragments.values():
            for selection in selections:
                _collect(selection, found)
        return list(found.values())

    def values(self) -> dict[str, Any]:
        """The request's ``variables``."""
        return {var.name: var.value for var in self.variables() if not var.omitted}

    def text(self) -> str:
        variables = self.variables()
        header = "query Generated"
        if variables:
            header += "(" + ", ".join(f"${var.name}: {var.type}" for var in variables) + ")"
        body = header + " {\n" + "".join(_render(root, 1) for root in self.roots) + "}\n"
        for name, (on, selections) in self.fragments.items():
            body += f"\nfragment {name} on {on} {{\n" + "".join(_render(s, 1) for s in selections) + "}\n"
        return body

    def with_root_args(self, key: str, drop: tuple[str, ...], add: dict[str, Any]) -> Operation:
        """The same operation with the root field ``key``'s arguments ``drop`` removed and ``add`` set."""
        roots = []
        for root in self.roots:
            if root.key == key:
                args = {name: value for name, value in root.args.items() if name not in drop}
                root = replace(root, args={**args, **add})
            roots.append(root)
        return replace(self, roots=roots)


def _collect(selection: Selection, found: dict[str, Var]) -> None:
    if isinstance(selection, Field):
        for value in selection.args.values():
            if isinstance(value, Var):
                found[value.name] = value
    if isinstance(selection, (Field, Inline)):
        for child in selection.children:
            _collect(child, found)


def literal(value: Any) -> str:
    """``value`` as a GraphQL literal."""
    if isinstance(value, Var):
        return f"${value.name}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, EnumValue):
        return str(value)
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{name}: {literal(item)}" for name, item in value.items()) + "}"
    raise TypeError(f"no literal for {value!r}")


def _render(selection: Selection, depth: int) -> str:
    pad = "  " * depth
    if isinstance(selection, Spread):
        return f"{pad}...{selection.fragment}\n"
    if isinstance(selection, Inline):
        head = f"... on {selection.on}" if selection.on else "..."
        return f"{pad}{head} {{\n" + "".join(_render(c, depth + 1) for c in selection.children) + f"{pad}}}\n"
    text = pad + (f"{selection.alias}: " if selection.alias else "") + selection.name
    if selection.args:
        text += "(" + ", ".join(f"{name}: {literal(value)}" for name, value in selection.args.items()) + ")"
    if selection.children:
        return text + " {\n" + "".join(_render(c, depth + 1) for c in selection.children) + f"{pad}}}\n"
    return text + "\n"
