"""What plugins exchange with Rapport: the values hooks receive and return.

A plugin imports ``hookimpl`` from :mod:`rapport` and the types it needs from here; nothing else in
the package is a stable interface. Every type is a frozen dataclass, so a plugin cannot change what
another plugin sees.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from rapport.services.errors import ErrorCode, Problem

__all__ = [
    "ENTITIES",
    "ClassificationRule",
    "CustomField",
    "CustomerFacts",
    "Decision",
    "ErrorCode",
    "Event",
    "FieldType",
    "GraphQLExtensions",
    "PeriodicJob",
    "Problem",
    "TicketFacts",
]

ENTITIES = ("customer", "interaction", "ticket")
"""The records that carry custom fields (each has a ``custom`` JSON column)."""


class FieldType(StrEnum):
    """The type of a custom field: how it is validated, stored in ``custom`` and typed in GraphQL."""

    STRING = "string"  # JSON string; GraphQL String
    INT = "int"  # JSON integer; GraphQL Int
    DECIMAL = "decimal"  # stored as a JSON string ("1234.50"); GraphQL Decimal
    BOOL = "bool"  # JSON true/false; GraphQL Boolean
    DATE = "date"  # "2025-01-31"; GraphQL Date
    DATETIME = "datetime"  # ISO 8601 with offset, stored in UTC; GraphQL DateTime
    ENUM = "enum"  # one of ``choices``; a generated GraphQL enum
    STRING_LIST = "string_list"  # JSON array of strings; GraphQL [String!]


@dataclass(frozen=True)
class CustomField:
    """A typed field stored in a record's ``custom`` JSON, declared by a plugin's ``custom_fields``.

    ``name`` is snake_case (``loyalty_points``): the key in ``custom`` and, camel-cased, the GraphQL
    field (``customFields { loyaltyPoints }``). ``owner`` is filled in by Rapport with the declaring
    plugin's name. ``pii`` (customer fields only) masks the field like the core personal data: its
    resource is ``customer.<name>``, a member of the ``customer.pii`` group. ``indexed`` gives it an
    expression index so filters and sorting on it stay fast.
    """

    entity: str
    name: str
    type: FieldType
    description: str = ""
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    pii: bool = False
    indexed: bool = False
    max_length: int = 1000  # strings and each list item
    owner: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.entity, self.name)


@dataclass(frozen=True)
class Decision:
    """One rule's verdict, returned by ``classify_customer`` or ``classify_ticket``.

    ``target`` is what it sets: for customers ``segment``, ``tier`` or ``tag``; for tickets
    ``category``, ``priority``, ``department`` or ``tag``. ``value`` is the value's name as the API
    spells it in lower case (``existing``, ``high``, ``urgent``) or the tag / category / department
    code. The first decision per single-valued target wins (plugins run before the built-in defaults);
    every tag decision adds its tag. Rapport records ``rule``, the plugin's name and ``explanation``
    as the reason.
    """

    target: str
    value: str
    rule: str
    explanation: str


@dataclass(frozen=True)
class ClassificationRule:
    """A rule a plugin owns (``classification_rules``): listed by ``rapport plugins``."""

    name: str
    applies_to: str  # "customer" or "ticket"
    description: str


@dataclass(frozen=True)
class CustomerFacts:
    """What classification rules know about a customer: the record after the change being written,
    and signals aggregated from its interactions and tickets."""

    id: int | None  # None while being created
    department: str
    name: str
    company: str | None
    tags: tuple[str, ...]
    custom: Mapping[str, Any]
    segment: str  # current values (before this classification)
    tier: str
    created_at: datetime
    last_interaction_at: datetime | None
    interactions_last_365_days: int
    purchases: int  # interactions whose custom has "purchase": true
    tickets: int
    open_tickets: int
    last_ticket_at: datetime | None
    now: datetime

    @property
    def last_activity_at(self) -> datetime | None:
        """The later of the last interaction and the last ticket."""
        moments = [m for m in (self.last_interaction_at, self.last_ticket_at) if m is not None]
        return max(moments) if moments else None


@dataclass(frozen=True)
class TicketFacts:
    """A ticket being opened, as ``classify_ticket`` sees it. ``given`` names the fields the person
    opening it set explicitly (a rule should not overrule those, except to raise the priority)."""

    subject: str
    description: str | None
    department: str
    priority: str
    category: str | None
    tags: tuple[str, ...]
    custom: Mapping[str, Any]
    given: frozenset[str]
    customer: CustomerFacts


@dataclass(frozen=True)
class Event:
    """A domain event from the outbox, delivered to ``on_event`` (at least once, in order per entity).

    ``payload`` carries ids and changed field names, never personal data: load the record through the
    services if you need more. ``attempt`` counts deliveries to this plugin, starting at 1.
    """

    id: int
    topic: str
    entity: str
    entity_id: str
    payload: Mapping[str, Any]
    created_at: datetime
    attempt: int = 1


@dataclass(frozen=True)
class PeriodicJob:
    """Work to run every ``every`` (``periodic_jobs``): by ``rapport worker`` in production and inside
    the app process in embedded mode. At most one process runs a job at a time (a lease per name)."""

    name: str
    every: timedelta
    run: Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class GraphQLExtensions:
    """Strawberry classes a plugin adds to the schema (``graphql_extensions``).

    ``query``, ``mutation`` and ``subscription`` are ``@strawberry.type`` classes whose fields join the
    root types; every one of those root fields must declare its permission with
    ``rapport.graphql.gate.secured`` (undeclared root fields are refused). ``types`` are extra types
    to include (e.g. implementations of an interface).
    """

    query: tuple[type, ...] = ()
    mutation: tuple[type, ...] = ()
    subscription: tuple[type, ...] = ()
    types: tuple[type, ...] = field(default_factory=tuple)
