"""SQL expressions that filters need, collected under aliases and added to the query once."""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.queryset import QuerySet


class Annotations:
    def __init__(self, dialect: str | None = None):
        self.dialect = dialect or connections.get("default").capabilities.dialect
        self.expressions: dict[str, Any] = {}

    def add(self, expression: Any) -> str:
        alias = f"_f{len(self.expressions)}"
        self.expressions[alias] = expression
        return alias

    def apply(self, qs: QuerySet) -> QuerySet:
        return qs.annotate(**self.expressions) if self.expressions else qs
