"""Ticket mutations: expected failures come back as typed errors in the payload."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from rapport.graphql.core.errors import FieldError, field_errors, forbidden
from rapport.graphql.core.ids import input_id
from rapport.graphql.gate import secured
from rapport.graphql.tickets.inputs import OpenTicketInput, UpdateTicketInput, given
from rapport.graphql.tickets.types import Ticket, TicketActivityKind, TicketStatus
from rapport.models import Ticket as TicketRow
from rapport.services import tickets as service
from rapport.services.errors import DomainError, ErrorCode


@strawberry.type(description="The ticket as it is after the mutation, or why nothing changed.")
class TicketPayload:
    ticket: Ticket | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


async def _payload(change: Awaitable[TicketRow]) -> TicketPayload:
    try:
        row = await change
    except DomainError as error:
        return TicketPayload(errors=field_errors(error))
    return TicketPayload(ticket=Ticket.from_model(row))


async def _attempt(info: strawberry.Info, id: strawberry.ID, operation: Callable[..., Awaitable[TicketRow]], *args: Any) -> TicketPayload:
    """Run ``operation(plan, ticket pk, *args, request_id=...)``; a malformed id is INVALID like a domain error."""
    try:
        pk = input_id(id, "Ticket", "id")
    except DomainError as error:
        return TicketPayload(errors=field_errors(error))
    return await _payload(operation(await info.context.plan(), pk, *args, request_id=info.context.request_id))


@strawberry.type
class TicketMutation:
    @strawberry.mutation(
        description="Open a ticket for a customer you may read. With idempotencyKey, repeating the call opens one ticket.",
        extensions=[secured("ticket", "create", forbidden(TicketPayload))],
    )
    async def open_ticket(self, info: strawberry.Info, input: OpenTicketInput) -> TicketPayload:
        try:
            data = given(input)
        except DomainError as error:
            return TicketPayload(errors=field_errors(error))
        return await _payload(service.open_ticket(await info.context.plan(), data, info.context.settings, info.context.request_id))

    @strawberry.mutation(
        description="Change a ticket. With expectedVersion, a stale version gives CONFLICT and changes nothing.",
        extensions=[secured("ticket", "update", forbidden(TicketPayload))],
    )
    async def update_ticket(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateTicketInput, expected_version: int | None = None
    ) -> TicketPayload:
        try:
            data = given(input)
        except DomainError as error:
            return TicketPayload(errors=field_errors(error))
        return await _attempt(info, id, service.update_ticket, data, expected_version)

    @strawberry.mutation(
        description="Move a ticket along the workflow (see TicketStatus); any other move is INVALID_TRANSITION. "
        "With expectedVersion, a stale version gives CONFLICT and changes nothing.",
        extensions=[secured("ticket", "update", forbidden(TicketPayload))],
    )
    async def transition_ticket(
        self, info: strawberry.Info, id: strawberry.ID, to: TicketStatus, note: str | None = None, expected_version: int | None = None
    ) -> TicketPayload:
        return await _attempt(info, id, service.transition, to, note, expected_version)

    @strawberry.mutation(
        description="Give a ticket to an active agent of its department (needs `manage` on tickets, except to take it "
        "yourself). `assignee: null`: automatic assignment by the department's rule (round-robin or least open tickets; "
        "a plugin may decide first); in a department that assigns manually, null unassigns. `unassign: true` always "
        "unassigns (handing back one's own ticket needs only `update`). Every assignment is an ASSIGNED activity.",
        extensions=[secured("ticket", "update", forbidden(TicketPayload))],
    )
    async def assign_ticket(
        self, info: strawberry.Info, id: strawberry.ID, assignee: strawberry.ID | None = None, unassign: bool = False
    ) -> TicketPayload:
        try:
            agent = input_id(assignee, "Agent", "assignee") if assignee is not None else None
        except DomainError as error:
            return TicketPayload(errors=field_errors(error))
        if unassign and agent is not None:
            conflict = DomainError.single(ErrorCode.INVALID, "give an assignee or unassign, not both", ("unassign",))
            return TicketPayload(errors=field_errors(conflict))
        return await _attempt(info, id, functools.partial(service.assign, unassign=unassign), agent)

    @strawberry.mutation(
        description="Add a COMMENT or a WORK_LOG to the ticket's record (note required, minutesSpent 0..1440). "
        "An agent's first comment is the ticket's first response.",
        extensions=[secured("ticket", "update", forbidden(TicketPayload))],
    )
    async def add_ticket_activity(
        self, info: strawberry.Info, id: strawberry.ID, kind: TicketActivityKind, note: str, minutes_spent: int | None = None
    ) -> TicketPayload:
        return await _attempt(info, id, service.add_activity, kind, note, minutes_spent)

    @strawberry.mutation(
        description="Record the customer's satisfaction (1..5) with a RESOLVED or CLOSED ticket; a new rating replaces the last.",
        extensions=[secured("ticket", "update", forbidden(TicketPayload))],
    )
    async def rate_ticket(self, info: strawberry.Info, id: strawberry.ID, satisfaction: int, comment: str | None = None) -> TicketPayload:
        return await _attempt(info, id, service.rate, satisfaction, comment)
