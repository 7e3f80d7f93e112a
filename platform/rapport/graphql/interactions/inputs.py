"""Mutation inputs for interactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from rapport.graphql.core.inputs import sent
from rapport.graphql.interactions.types import InteractionChannel, InteractionDirection


@strawberry.input(description="An interaction to record. occurredAt defaults to now; subject and body follow the data-entry standard.")
class LogInteractionInput:
    customer: strawberry.ID
    channel: InteractionChannel
    direction: InteractionDirection
    subject: str
    body: str | None = strawberry.UNSET
    occurred_at: datetime | None = strawberry.field(default=strawberry.UNSET, description="At most 5 minutes ahead of now.")
    ticket: strawberry.ID | None = strawberry.field(default=strawberry.UNSET, description="A ticket of the same customer.")
    duration_seconds: int | None = strawberry.field(default=strawberry.UNSET, description="0 to 604800 (a week).")
    custom: JSON | None = strawberry.UNSET
    idempotency_key: str | None = strawberry.field(
        default=strawberry.UNSET, description="The same key twice creates one interaction and returns it both times."
    )


_NAMES = {"occurred_at": "occurredAt", "duration_seconds": "durationSeconds", "idempotency_key": "idempotencyKey"}


def given(data: LogInteractionInput) -> dict[str, Any]:
    """The fields the client sent (UNSET ones left out) under their API names, ids and enums as domain values."""
    return sent(data, ids={"customer": "Customer", "ticket": "Ticket"}, names=_NAMES)
