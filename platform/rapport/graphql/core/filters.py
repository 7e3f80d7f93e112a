"""Filter inputs shared by every list (``where``) and their translation to SQL predicates (tortoise Q)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from tortoise.expressions import Q
from tortoise.models import Model

from rapport.graphql.core.errors import ClientError
from rapport.graphql.core.ids import argument_id


@strawberry.enum(description="Sort direction.")
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="Operators on a text field; all given operators must hold. `contains` and `startsWith` ignore case.")
class StringFilter:
    eq: str | None = None
    ne: str | None = None
    in_: list[str] | None = strawberry.field(default=None, name="in")
    contains: str | None = None
    starts_with: str | None = None
    is_null: bool | None = None


@strawberry.input(description="Operators on an integer field; all given operators must hold.")
class IntFilter:
    eq: int | None = None
    ne: int | None = None
    in_: list[int] | None = strawberry.field(default=None, name="in")
    gt: int | None = None
    gte: int | None = None
    lt: int | None = None
    lte: int | None = None
    is_null: bool | None = None


@strawberry.input(description="Operators on a time; all given operators must hold.")
class DateTimeFilter:
    eq: datetime | None = None
    gt: datetime | None = None
    gte: datetime | None = None
    lt: datetime | None = None
    lte: datetime | None = None
    is_null: bool | None = None


@strawberry.input(description="Operators on a reference to another object, by its global id.")
class IDFilter:
    eq: strawberry.ID | None = None
    in_: list[strawberry.ID] | None = strawberry.field(default=None, name="in")
    is_null: bool | None = None


MAX_IN_VALUES = 500
MAX_SEARCH_LENGTH = 200  # SQLite refuses LIKE patterns past 50,000 bytes; no one searches for more than a line

_SIMPLE_OPERATORS = {"eq": "", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte", "in_": "__in"}


def _check_in(values: list[Any] | None, name: str) -> None:
    if values is not None and len(values) > MAX_IN_VALUES:
        raise ClientError(f"{name}.in: at most {MAX_IN_VALUES} values")


def filter_text(value: str, name: str, max_length: int) -> str:
    """Every text a filter compares with passes here: PostgreSQL refuses NUL in text, and a value longer
    than its column can never match (the ORM refuses it for ``eq``/``in`` before any SQL runs)."""
    if "\x00" in value:
        raise ClientError(f"{name}: text must not contain NUL characters")
    if len(value) > max_length:
        raise ClientError(f"{name}: at most {max_length} characters")
    return value


def search_text(value: str, name: str) -> str:
    """The text of a ``search`` argument, trimmed and bounded."""
    return filter_text(value.strip(), name, MAX_SEARCH_LENGTH)


def column_text(value: str, name: str, model: type[Model], column: str) -> str:
    """A text compared with ``model.column`` (in a filter or a lookup argument), bounded by the column."""
    return filter_text(value, name, getattr(model._meta.fields_map[column], "max_length", None) or MAX_SEARCH_LENGTH)


def string_q(column: str, f: StringFilter, name: str, model: type[Model]) -> Q:
    """``f`` on ``model.column``; its texts are bounded by the column's length."""
    _check_in(f.in_, name)
    for operator in ("eq", "ne", "contains", "starts_with"):
        value = getattr(f, operator)
        if value is not None:
            column_text(value, f"{name}.{_camel(operator)}", model, column)
    for value in f.in_ or ():
        column_text(value, f"{name}.in", model, column)
    q = Q()
    if f.eq is not None:
        q &= Q(**{column: f.eq})
    if f.ne is not None:
        q &= ~Q(**{column: f.ne}) | Q(**{f"{column}__isnull": True})
    if f.in_ is not None:
        q &= Q(**{f"{column}__in": f.in_})
    if f.contains is not None:
        q &= Q(**{f"{column}__icontains": f.contains})
    if f.starts_with is not None:
        q &= Q(**{f"{column}__istartswith": f.starts_with})
    if f.is_null is not None:
        q &= Q(**{f"{column}__isnull": f.is_null})
    return q


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.title() for word in rest)


def ordered_q(column: str, f: IntFilter | DateTimeFilter, name: str) -> Q:
    q = Q()
    for attr, suffix in _SIMPLE_OPERATORS.items():
        value = getattr(f, attr, None)
        if value is not None:
            if attr == "in_":
                _check_in(value, name)
            q &= Q(**{f"{column}{suffix}": value})
    ne = getattr(f, "ne", None)
    if ne is not None:
        q &= ~Q(**{column: ne}) | Q(**{f"{column}__isnull": True})
    if f.is_null is not None:
        q &= Q(**{f"{column}__isnull": f.is_null})
    return q


def id_q(column: str, f: IDFilter, type_name: str, name: str) -> Q:
    _check_in(f.in_, name)
    q = Q()
    if f.eq is not None:
        q &= Q(**{column: argument_id(f.eq, type_name, f"{name}.eq")})
    if f.in_ is not None:
        q &= Q(**{f"{column}__in": [argument_id(v, type_name, f"{name}.in") for v in f.in_]})
    if f.is_null is not None:
        q &= Q(**{f"{column}__isnull": f.is_null})
    return q


def combine(where: Any, own_q: Any, depth: int = 0) -> Q:
    """``and``/``or``/``not`` around a filter input whose own fields ``own_q(where)`` translates."""
    if depth > 10:
        raise ClientError("where: filters nest at most 10 levels deep")
    q = own_q(where)
    if where.and_:
        for part in where.and_:
            q &= combine(part, own_q, depth + 1)
    if where.or_:
        alternatives = Q()
        for i, part in enumerate(where.or_):
            alternatives = combine(part, own_q, depth + 1) if i == 0 else alternatives | combine(part, own_q, depth + 1)
        q &= alternatives
    if where.not_ is not None:
        q &= ~combine(where.not_, own_q, depth + 1)
    return q
