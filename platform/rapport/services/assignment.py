"""Automatic assignment: who in the ticket's department gets it.

Strategies, per department (``[departments.<code>] assignment = ...`` in the service configuration):

    manual       nobody is chosen automatically (the default)
    round_robin  the active agents of the department in turn (by id), after the one chosen last
    least_open   the active agent with the fewest NEW/OPEN/PENDING tickets; ties go round-robin

A plugin may decide first (the ``assign_ticket`` hook); its choice must be an active agent of the
department, otherwise the strategy decides. Inactive agents are never chosen.

Concurrent choices in one department are serialized: the department's pointer (the agent chosen last,
a row of ``counters``) is locked by an upsert until the caller's transaction commits, so two tickets
opened at once see each other's assignee and round-robin stays fair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count

from rapport.models import Agent, Ticket, TicketActivity, TicketActivityKind
from rapport.services.counters import set_value
from rapport.services.service_config import AssignmentStrategy, current_config
from rapport.services.ticket_workflow import ACTIVE

log = structlog.get_logger("rapport.assignment")


@dataclass(frozen=True)
class AssignmentContext:
    """What the choice (and a plugin deciding first) knows about the ticket."""

    ticket_id: int  # on open: the new ticket, inside its opening transaction
    department_id: int
    department: str  # code
    priority: str
    category: str | None = None
    tags: tuple[str, ...] = ()
    customer_id: int | None = None
    custom: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    agent_id: int
    rule: str  # "round_robin", "least_open" or "plugin"


def strategy_of(department: str) -> AssignmentStrategy:
    return current_config().department(department).assignment


def _pointer_name(department_id: int) -> str:
    return f"assignment:{department_id}"


async def _lock_pointer(conn: BaseDBAsyncClient, department_id: int) -> int:
    """The department's last chosen agent id (0: none yet), its row locked until the transaction ends."""
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    rows = await conn.execute_query_dict(
        f"INSERT INTO counters (name, value) VALUES ({placeholder}, 0) "
        "ON CONFLICT (name) DO UPDATE SET value = counters.value RETURNING value",
        [_pointer_name(department_id)],
    )
    return int(rows[0]["value"])


async def _active_agents(conn: BaseDBAsyncClient, department_id: int) -> list[int]:
    return list(await Agent.filter(department_id=department_id, active=True).using_db(conn).order_by("id").values_list("id", flat=True))


def _in_turn(agents: list[int], after: int) -> list[int]:
    """``agents`` (sorted ids) starting with the first one after ``after``, wrapping around."""
    later = [a for a in agents if a > after]
    return later + [a for a in agents if a <= after]


async def _open_counts(conn: BaseDBAsyncClient, agents: list[int], department_id: int) -> dict[int, int]:
    rows = await (
        Ticket.filter(assignee_id__in=agents, department_id=department_id, status__in=[s.value for s in ACTIVE])
        .using_db(conn).annotate(n=Count("id")).group_by("assignee_id").values_list("assignee_id", "n")
    )
    return {agent: int(n) for agent, n in rows}


async def _from_plugin(context: AssignmentContext, conn: BaseDBAsyncClient) -> int | None:
    """The active plugins' ``assign_ticket`` answer, if it names an active agent of the department."""
    from rapport import plugins  # the plugin platform imports the services: import it late

    try:
        answer = await plugins.active().assign_ticket(context)
    except Exception:  # a failing plugin never stops a ticket from opening (the host logged it, naming it)
        log.warning("assignment plugin failed; the department's rule decides", ticket=context.ticket_id)
        return None
    if answer is None:
        return None
    if isinstance(answer, bool) or not isinstance(answer, int):
        log.warning("assignment plugin answered something other than an agent id", ticket=context.ticket_id,
                    answer=type(answer).__name__)
        return None
    valid = await Agent.filter(id=answer, department_id=context.department_id, active=True).using_db(conn).exists()
    if not valid:
        log.warning("assignment plugin chose an agent outside the department or inactive", ticket=context.ticket_id, agent=answer)
        return None
    return answer


async def choose_assignee(conn: BaseDBAsyncClient, context: AssignmentContext) -> Choice | None:
    """The agent to give the ticket to (None: the department assigns manually, or has no active agent).

    Run inside the transaction that writes the assignment: the pointer stays locked until it commits."""
    strategy = strategy_of(context.department)
    chosen = await _from_plugin(context, conn)
    if chosen is not None:
        await _lock_pointer(conn, context.department_id)
        await set_value(conn, _pointer_name(context.department_id), chosen)
        return Choice(chosen, "plugin")
    if strategy == "manual":
        return None
    last = await _lock_pointer(conn, context.department_id)
    agents = await _active_agents(conn, context.department_id)
    if not agents:
        return None
    turn = _in_turn(agents, last)
    if strategy == "least_open":
        counts = await _open_counts(conn, agents, context.department_id)
        fewest = min(counts.get(a, 0) for a in agents)
        agent = next(a for a in turn if counts.get(a, 0) == fewest)
    else:
        agent = turn[0]
    await set_value(conn, _pointer_name(context.department_id), agent)
    return Choice(agent, strategy)


async def record_assignment(
    conn: BaseDBAsyncClient, ticket: Ticket, choice: Choice, at: datetime, actor_id: int | None = None
) -> None:
    """The ASSIGNED activity of an automatic choice (``actor_id``: who asked for it, None when nobody did)."""
    await TicketActivity.create(
        using_db=conn, ticket_id=ticket.id, kind=TicketActivityKind.ASSIGNED, actor_id=actor_id, at=at,
        note=f"assigned automatically ({choice.rule.replace('_', ' ')})",
        data={"from": ticket.assignee_id, "to": choice.agent_id, "rule": choice.rule},
    )


async def assign_new_ticket(conn: BaseDBAsyncClient, ticket: Ticket, choice: Choice, at: datetime) -> None:
    """Give a ticket being opened (in the opening transaction) to the chosen agent, with its activity."""
    await record_assignment(conn, ticket, choice, at)
    await Ticket.filter(id=ticket.id).using_db(conn).update(assignee_id=choice.agent_id)
    ticket.assignee_id = choice.agent_id


def context_of(ticket: Ticket, department: str) -> AssignmentContext:
    return AssignmentContext(
        ticket_id=ticket.id, department_id=ticket.department_id, department=department,
        priority=getattr(ticket.priority, "value", ticket.priority), category=ticket.category,
        tags=tuple(ticket.tags or ()), customer_id=ticket.customer_id, custom=ticket.custom or {},
    )
