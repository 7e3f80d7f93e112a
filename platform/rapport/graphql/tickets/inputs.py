"""Mutation inputs for tickets."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from rapport.graphql.core.inputs import sent
from rapport.graphql.tickets.types import TicketPriority


@strawberry.input(description="A new ticket. It starts NEW, numbered T-000001 upward, with SLA due times by priority.")
class OpenTicketInput:
    customer: strawberry.ID
    subject: str
    description: str | None = strawberry.UNSET
    priority: TicketPriority | None = strawberry.field(default=strawberry.UNSET, description="Default NORMAL.")
    category: str | None = strawberry.UNSET
    department: str | None = strawberry.field(default=strawberry.UNSET, description="Department code; defaults to the customer's.")
    assignee: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="An active agent of the ticket's department; someone other than you needs `manage` on tickets.",
    )
    tags: list[str] | None = strawberry.UNSET
    custom: JSON | None = strawberry.UNSET
    idempotency_key: str | None = strawberry.field(
        default=strawberry.UNSET, description="The same key twice opens one ticket and returns it both times."
    )


@strawberry.input(description="Changes to a ticket: only the fields given change; null clears an optional field (null priority: unchanged).")
class UpdateTicketInput:
    subject: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    priority: TicketPriority | None = strawberry.field(
        default=strawberry.UNSET, description="A new priority re-plans the SLA due times from the ticket's opening."
    )
    category: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    custom: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Merged into the stored custom fields: a key set to null is removed (plugin fields are typed).")


_KEYS = {"idempotency_key": "idempotencyKey"}


def given(data: Any) -> dict[str, Any]:
    """The fields the client sent (UNSET ones left out), with ids and enums turned into domain values."""
    return sent(data, ids={"customer": "Customer", "assignee": "Agent"}, names=_KEYS, required=("subject",))
