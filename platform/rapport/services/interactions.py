"""Interactions: log a call, email, meeting or message with a customer, with its effects in one transaction.

An interaction has no department of its own: it belongs to its customer's department, and the agent who
logged it owns it. It is visible only while its customer is: an interaction never shows what its customer
would hide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, Subquery

from rapport.authz.model import ANY
from rapport.authz.plan import PermissionPlan
from rapport.authz.sql import department_ids, equal_q, row_filter
from rapport.events.live import publishes_interaction
from rapport.classification.customers import reclassify
from rapport.events.outbox import emit
from rapport.models import Customer, Department, Interaction, InteractionDirection, Ticket
from rapport.plugins import active
from rapport.services import audit
from rapport.services.customers import customer_in_scope
from rapport.services.errors import DomainError, ErrorCode
from rapport.services.idempotency import run_once
from rapport.services.interaction_input import INPUT_KEYS, normalize_interaction_fields
from rapport.services.record_validation import validate_record
from rapport.services.tickets import record_first_response, ticket_scope
from rapport.settings import Settings

RESOURCE = "interaction"


async def interaction_scope(plan: PermissionPlan, action: str = "read") -> Q | None:
    """The interactions the actor may ``action``, as a filter on ``interactions`` (None = none).

    Both must hold: the interaction rules reach the row (by its customer's department, or as the agent
    who logged it where only own rows are reached), and its customer is live and readable.
    ``row_filter`` cannot express "the department of the parent row" without a join, and a join makes
    the unqualified column names of pagination and nested lists ambiguous: hence subqueries on customers.
    """
    customer_scope = await row_filter(plan, "customer", "read")
    if customer_scope is None:
        return None
    readable = Customer.filter(customer_scope, deleted_at__isnull=True)

    def of_customers(condition: Q) -> Q:
        return Q(customer_id__in=Subquery(readable.filter(condition).values("id")))

    scope = plan.row_scope(RESOURCE, action)
    if scope.all:
        return of_customers(Q())
    parts: list[Q] = []
    if scope.departments and (ids := await department_ids(scope.departments)):
        parts.append(of_customers(Q(department_id__in=ids)))
    agent_id = plan.actor.agent_id
    if scope.own_in and agent_id is not None:
        if ANY in scope.own_in:
            parts.append(equal_q("agent_id", agent_id) & of_customers(Q()))
        elif ids := await department_ids(scope.own_in):
            parts.append(equal_q("agent_id", agent_id) & of_customers(Q(department_id__in=ids)))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


async def _ticket_of_customer(plan: PermissionPlan, ticket_id: int, customer_id: int, conn: BaseDBAsyncClient) -> Ticket:
    """The ticket, if the actor may read it and it is this customer's; INVALID otherwise (same message either way)."""
    scope = await ticket_scope(plan, "read")
    ticket = None
    if scope is not None:
        ticket = await Ticket.filter(scope, id=ticket_id).using_db(conn).first()
    if ticket is None or ticket.customer_id != customer_id:
        raise DomainError.single(ErrorCode.INVALID, "ticket not found for this customer", ("input", "ticket"))
    return ticket


async def _write(
    conn: BaseDBAsyncClient, plan: PermissionPlan, values: Mapping[str, Any], given: Iterable[str], request_id: str | None
) -> Interaction:
    customer = await customer_in_scope(plan, values["customer_id"], "read", conn, ("input", "customer"))
    code = await Department.filter(id=customer.department_id).using_db(conn).first().values_list("code", flat=True)
    if not plan.allows(RESOURCE, "create", code):
        raise DomainError.single(ErrorCode.FORBIDDEN, f"you may not log interactions in {code}", ("input", "customer"))
    ticket = None
    if values["ticket_id"] is not None:
        ticket = await _ticket_of_customer(plan, values["ticket_id"], customer.id, conn)
    occurred_at = values["occurred_at"] or datetime.now(UTC)
    await validate_record(RESOURCE, {**values, "occurred_at": occurred_at, "agent_id": plan.actor.agent_id}, values, None, plan.actor)
    interaction = await Interaction.create(
        using_db=conn, agent_id=plan.actor.agent_id, **{**values, "occurred_at": occurred_at}
    )
    # max(existing, occurred_at) in the database: concurrent logs on one customer cannot move it back.
    await Customer.filter(
        Q(id=customer.id) & (Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=occurred_at))
    ).using_db(conn).update(last_interaction_at=occurred_at)
    context: dict[str, Any] = {"customer": customer.id}
    if ticket is not None:
        context["ticket"] = ticket.id
        if values["direction"] == InteractionDirection.OUTBOUND and plan.actor.agent_id is not None:
            # A reply cannot precede the request it answers: a back-dated log stamps the ticket's creation.
            if await record_first_response(conn, ticket, max(occurred_at, ticket.created_at)):
                context["ticketFirstResponse"] = True
    await audit.record(conn, plan.actor, "interaction.log", RESOURCE, interaction.id, given, data=context, request_id=request_id)
    await emit(conn, "interaction.logged", RESOURCE, interaction.id,
               {"customer": customer.id, "ticket": context.get("ticket"), "channel": getattr(interaction.channel, "value", interaction.channel),
                "direction": getattr(interaction.direction, "value", interaction.direction)})
    # The customer's classes follow its interactions (a purchase makes a prospect a customer).
    await reclassify(active(), conn, customer.id, actor=plan.actor, cause="interaction.logged")
    return interaction


@publishes_interaction
async def log_interaction(
    plan: PermissionPlan, data: Mapping[str, Any], settings: Settings, request_id: str | None = None
) -> Interaction:
    """Record an interaction, move the customer's ``last_interaction_at`` and, for an agent's outbound
    reply on a ticket, stamp the ticket's first response; with ``idempotencyKey``, at most once.

    ``data`` uses the API's input names, with ``customer`` and ``ticket`` as database ids. The customer
    must be readable (NOT_FOUND otherwise) and the actor allowed to log interactions in its department.
    """
    values = normalize_interaction_fields(data)
    given = [key for key in INPUT_KEYS if key in data]
    return await run_once(
        scope=f"logInteraction:{plan.actor.subject}",
        key=data.get("idempotencyKey"),
        payload=values,
        entity=RESOURCE,
        write=lambda conn: _write(conn, plan, values, given, request_id),
        load=lambda pk: Interaction.get(id=pk),
        entity_id=lambda row: row.id,
    )
