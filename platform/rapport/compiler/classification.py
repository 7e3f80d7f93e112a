"""``Customer.classification`` from the row's class columns and its ``classification`` JSON, shaped by the
post-pass as the resolver shapes it (``classifiedAt`` read back as a time, reasons with their five keys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rapport.compiler import NotCompiled
from rapport.compiler.selection import Field
from rapport.graphql.customers.types import REASON_KEYS


def _reason(reason: dict[str, Any], children: list[Field]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in children:
        if child.name == "__typename":
            out[child.key] = "ClassificationReason"
        elif child.name in REASON_KEYS:
            out[child.key] = reason.get(child.name)
        else:
            raise NotCompiled(f"ClassificationReason.{child.name}")
    return out


def classification_shaper(selected: Field) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    for child in selected.children:
        if child.name not in ("segment", "tier", "tags", "classifiedAt", "reasons", "__typename"):
            raise NotCompiled(f"Classification.{child.name}")

    def shape(raw: dict[str, Any], run: Any) -> dict[str, Any]:
        data = raw.get("#c") or {}
        out: dict[str, Any] = {}
        for child in selected.children:
            name = child.name
            if name == "__typename":
                out[child.key] = "Classification"
            elif name in ("segment", "tier", "tags"):
                out[child.key] = raw[name]
            elif name == "classifiedAt":
                value = data.get("classifiedAt")
                out[child.key] = datetime.fromisoformat(value).isoformat() if value else None
            else:
                out[child.key] = [_reason(reason, child.children) for reason in data.get("reasons", [])]
        return out

    return shape
