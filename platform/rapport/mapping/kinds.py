"""The kinds of field a type declaration may hold. Each says where the value lives and how it is read.

A declaration is data: the compiler turns it into SQL for a dialect (``rapport.compiler``), and the
post-pass (``rapport.compiler.shape``) finishes what only Python can compute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

ScalarKind = Literal["text", "int", "bool", "datetime", "json", "json_list", "json_object"]


@dataclass(frozen=True)
class Column:
    """A column, as its GraphQL scalar. ``json_list``/``json_object`` read NULL as ``[]``/``{}``."""

    column: str
    kind: ScalarKind = "text"


@dataclass(frozen=True)
class EnumColumn:
    """A column holding an enum's value; GraphQL shows the member's name."""

    column: str
    enum: type[Enum]


@dataclass(frozen=True)
class NodeId:
    """The Relay global id: base64 of ``"<type>:<id>"``."""

    type_name: str
    column: str = "id"


@dataclass(frozen=True)
class Personal:
    """A personal field of the row (``customer.email``): shown in full, masked or not at all, per row, by
    the viewer's plan. ``masker`` gives the masked form of a present value."""

    column: str
    resource: str
    masker: Callable[[Any], Any]


@dataclass(frozen=True)
class PersonalObject:
    """A personal field made of several columns (the address): null when every column is; when masked,
    only the ``kept`` sub-fields stay."""

    columns: dict[str, str]  # GraphQL sub-field -> column
    resource: str
    kept: frozenset[str]


@dataclass(frozen=True)
class CustomJson:
    """The ``custom`` JSON of an entity; for customers its personal keys pass the viewer's plan."""

    entity: str
    column: str = "custom"


@dataclass(frozen=True)
class ToOne:
    """A related object by foreign key. ``scope`` names the readable-rows rule that applies to the target
    (None: every row, as for agents and departments)."""

    target: str
    column: str
    scope: str | None = None


@dataclass(frozen=True)
class ToMany:
    """A nested connection: the target's rows whose ``parent_column`` is this row's id."""

    target: str
    parent_column: str
    arguments: frozenset[str] = frozenset({"first", "after"})


@dataclass(frozen=True)
class Count:
    """A count of related rows (``openTicketCount``): the target's readable rows whose ``parent_column``
    is this row's id and whose ``column`` is one of ``values``."""

    target: str
    parent_column: str
    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Computed:
    """A value only Python can compute, from the row's ``columns`` (see ``rapport.compiler.computed``)."""

    name: str


@dataclass(frozen=True)
class Embedded:
    """An object type built from the same row (``Ticket.sla``)."""

    type_name: str


@dataclass(frozen=True)
class Records:
    """A plain list of the target's rows whose ``parent_column`` is this row's id, oldest first by
    ``order_column`` then id; ``first`` (default and at most 100) and ``after`` (the global id of the
    last row already read)."""

    target: str
    parent_column: str
    order_column: str


@dataclass(frozen=True)
class Classified:
    """The standardized classes with their reasons: the class columns plus the ``classification`` JSON
    (``classifiedAt`` and ``reasons``), put together by the post-pass."""

    column: str = "classification"


FieldKind = Records | Classified | Column | EnumColumn | NodeId | Personal | PersonalObject | CustomJson | ToOne | ToMany | Count | Computed | Embedded


@dataclass(frozen=True)
class TypeDeclaration:
    """A GraphQL object type and the table it reads."""

    name: str
    table: str
    fields: dict[str, FieldKind]
    model: Any = None  # the tortoise model (filters and scopes are rendered through it)
    live_column: str | None = None  # rows with this column set are deleted
    department_column: str | None = None
    owner_column: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
