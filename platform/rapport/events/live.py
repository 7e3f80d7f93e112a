"""What changed, told to live subscribers once the change is committed (``events.bus``).

Messages carry ids only; each subscriber re-reads the row through its own permission plan, so the
bus never carries anything a subscriber could not query. Service operations are wrapped:

    @publishes_ticket("ticket.transitioned")
    async def transition(...) -> Ticket: ...        # returns after its transaction committed

The wrapper publishes after the wrapped coroutine returns, that is after the commit. (Called inside an
outer transaction, the message would go out before that one commits: services are called at the top.)
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from rapport.events import bus
from rapport.models import Interaction, Ticket

TICKETS = "ticket"
INTERACTIONS = "interaction"

P = ParamSpec("P")
T = TypeVar("T")


async def ticket_changed(row: Ticket, topic: str) -> None:
    await bus.publish(TICKETS, {
        "id": row.id, "topic": topic, "department_id": row.department_id, "customer_id": row.customer_id,
        "assignee_id": row.assignee_id, "version": row.version,
    })


async def ticket_id_changed(ticket_id: int, topic: str) -> None:
    row = await Ticket.get_or_none(id=ticket_id)
    if row is not None:
        await ticket_changed(row, topic)


async def interaction_logged(row: Interaction) -> None:
    await bus.publish(INTERACTIONS, {"id": row.id, "topic": "interaction.logged", "customer_id": row.customer_id,
                                     "ticket_id": row.ticket_id})
    if row.ticket_id is not None:  # a reply may be the ticket's first response: the ticket changed too
        await ticket_id_changed(row.ticket_id, "ticket.updated")


def publishes_ticket(topic: str) -> Callable[[Callable[P, Awaitable[Ticket]]], Callable[P, Awaitable[Ticket]]]:
    """Publish the returned ticket on the ticket channel after the operation returns (committed)."""

    def decorate(operation: Callable[P, Awaitable[Ticket]]) -> Callable[P, Awaitable[Ticket]]:
        @functools.wraps(operation)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Ticket:
            row = await operation(*args, **kwargs)
            await ticket_changed(row, topic)
            return row

        return wrapper

    return decorate


def publishes_interaction(operation: Callable[P, Awaitable[Interaction]]) -> Callable[P, Awaitable[Interaction]]:
    @functools.wraps(operation)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Interaction:
        row = await operation(*args, **kwargs)
        await interaction_logged(row)
        return row

    return wrapper


__all__ = ["INTERACTIONS", "TICKETS", "interaction_logged", "publishes_interaction", "publishes_ticket", "ticket_changed",
           "ticket_id_changed"]
