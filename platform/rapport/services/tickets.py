"""Ticket operations: open, update, transition, assign, add to the record, rate.

Each runs in one transaction with its activity (the service record) and its audit entry. Changes to
an existing ticket are optimistic: ``UPDATE ... WHERE id = ? AND version = ?``, so of concurrent writers
starting from one version exactly one wins and the others get CONFLICT with nothing changed.

Authorization: the caller passes the actor's permission plan. A ticket is readable when the plan's
ticket scope reaches it (department, or assigned to the actor) AND its customer is live and readable;
a ticket outside that is reported exactly as a missing one (NOT_FOUND), one readable but not
changeable is FORBIDDEN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q, Subquery
from tortoise.transactions import in_transaction

from rapport.authz.plan import PermissionPlan
from rapport.authz.sql import row_filter
from rapport.events.live import publishes_ticket
from rapport.classification.customers import reclassify
from rapport.classification.tickets import classify_new_ticket
from rapport.custom_fields.values import merge_custom
from rapport.events.outbox import emit
from rapport.models import Agent, Customer, Department, Ticket, TicketActivity, TicketActivityKind, TicketStatus
from rapport.plugins import active
from rapport.services import audit, data_versions
from rapport.services import data_entry as de
from rapport.services import sla_clock
from rapport.services.assignment import assign_new_ticket, choose_assignee, context_of, record_assignment, strategy_of
from rapport.services.counters import TICKET_NUMBER, format_ticket_number, next_value
from rapport.services.customers import customer_in_scope
from rapport.services.errors import DomainError, ErrorCode
from rapport.services.idempotency import run_once
from rapport.services.record_validation import record_of, validate_record
from rapport.services.ticket_input import normalize_activity, normalize_rating, normalize_ticket_fields
from rapport.services.sla_policies import TicketContext
from rapport.services.sla_sweep import record_breaches
from rapport.services.ticket_workflow import CLOSED, DONE, OPEN, RESOLVED, check_transition
from rapport.settings import Settings

RESOURCE = "ticket"
OWNER_FIELD = "assignee_id"  # "own" tickets are the ones assigned to the actor
CLASSIFYING_FIELDS = ("priority", "category", "tags")


# --- scope --------------------------------------------------------------------------------------------


async def ticket_scope(plan: PermissionPlan, action: str = "read") -> Q | None:
    """Tickets the actor may ``action``, as a filter (None = none): the ticket rule's reach, and only
    tickets whose customer is live and readable (so ``Ticket.customer`` always resolves)."""
    tickets = await row_filter(plan, RESOURCE, action, owner_field=OWNER_FIELD)
    customers = await row_filter(plan, "customer", "read")
    if tickets is None or customers is None:
        return None
    live = Customer.filter(customers, deleted_at__isnull=True).values("id")
    return tickets & Q(customer_id__in=Subquery(live))


def _not_found(path: Sequence[str] = ("id",)) -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "ticket not found", path)


async def _in(scope: Q | None, ticket_id: int, conn: BaseDBAsyncClient | None) -> Ticket | None:
    if scope is None:
        return None
    query = Ticket.filter(Q(id=ticket_id) & scope)
    return await (query.using_db(conn) if conn is not None else query).first()


async def ticket_in_scope(
    plan: PermissionPlan, ticket_id: int, action: str, conn: BaseDBAsyncClient | None = None, path: Sequence[str] = ("id",)
) -> Ticket:
    """The ticket if the plan lets the actor do ``action`` on it; NOT_FOUND / FORBIDDEN otherwise."""
    ticket = await _in(await ticket_scope(plan, "read"), ticket_id, conn)
    if ticket is None:
        raise _not_found(path)
    if action != "read" and await _in(await ticket_scope(plan, action), ticket_id, conn) is None:
        raise DomainError.single(ErrorCode.FORBIDDEN, f"you may not {action} this ticket", path)
    return ticket


# --- shared steps ---------------------------------------------------------------------------------------


def _check_version(current: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and current.version != expected_version:
        raise DomainError.single(
            ErrorCode.CONFLICT, f"ticket changed meanwhile (version {current.version}, expected {expected_version})", ("expectedVersion",)
        )


async def _guarded_update(conn: BaseDBAsyncClient, current: Ticket, now: datetime, **values: Any) -> None:
    """Write ``values`` only if nobody changed the ticket since ``current`` was read."""
    updated = await Ticket.filter(id=current.id, version=current.version).using_db(conn).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if updated == 0:
        raise DomainError.single(ErrorCode.CONFLICT, "ticket changed meanwhile: reload and retry", ("expectedVersion",))


async def _record(
    conn: BaseDBAsyncClient, plan: PermissionPlan, ticket_id: int, kind: TicketActivityKind, now: datetime, **fields: Any
) -> TicketActivity:
    return await TicketActivity.create(using_db=conn, ticket_id=ticket_id, kind=kind, actor_id=plan.actor.agent_id, at=now, **fields)


async def _reload(conn: BaseDBAsyncClient, ticket_id: int) -> Ticket:
    return await Ticket.get(id=ticket_id).using_db(conn)


async def _check_assignee(agent_id: int, department_id: int, path: Sequence[str], conn: BaseDBAsyncClient | None = None) -> None:
    query = Agent.filter(id=agent_id, active=True, department_id=department_id)
    if not await (query.using_db(conn) if conn is not None else query).exists():
        raise DomainError.single(ErrorCode.INVALID, "assignee must be an active agent of the ticket's department", path)


def _self_assignment(plan: PermissionPlan, assignee_id: int | None, current_assignee_id: int | None) -> bool:
    """Taking a ticket, or handing back one's own: allowed with ``update`` (others need ``manage``)."""
    me = plan.actor.agent_id
    return me is not None and (assignee_id == me or (assignee_id is None and current_assignee_id == me))


def _now() -> datetime:
    return datetime.now(UTC)


async def record_first_response(conn: BaseDBAsyncClient, ticket: Ticket, at: datetime) -> list[str]:
    """Stamp the ticket's first response at ``at`` unless one is recorded (an agent's comment, an outbound
    reply logged as an interaction), with its breach when late. Returns the columns written."""
    if ticket.first_responded_at is not None:
        return []
    stamps = await sla_clock.first_response_columns(ticket, at, conn)
    # Guarded by the column, not the version: a concurrent edit must not lose the first response.
    updated = await Ticket.filter(id=ticket.id, first_responded_at__isnull=True).using_db(conn).update(
        **stamps, version=F("version") + 1, updated_at=_now()
    )
    if updated:  # an interaction's audit entry bumps only the interactions' version
        await data_versions.touch(conn, data_versions.TICKETS)
        await record_breaches(conn, ticket, stamps, at)
    return list(stamps) if updated else []


# --- operations ---------------------------------------------------------------------------------------


async def _resolve_department(code: str | None, customer: Customer) -> Department:
    if code is None:
        return await Department.get(id=customer.department_id)
    department = await Department.get_or_none(code=code)
    if department is None:
        raise DomainError.single(ErrorCode.INVALID, f"department {code[:64]!r} does not exist", ("input", "department"))
    return department


@publishes_ticket("ticket.opened")
async def open_ticket(plan: PermissionPlan, data: Mapping[str, Any], settings: Settings, request_id: str | None = None) -> Ticket:
    """A NEW ticket numbered T-000001 upward without gaps, its SLA planned by priority.

    ``data``: customer and assignee as primary keys, priority as a TicketPriority value, the rest as in
    OpenTicketInput. The department defaults to the customer's. Assigning someone other than oneself
    needs ``manage`` on tickets there, as ``assign`` does.
    """
    values = normalize_ticket_fields(data, creating=True)
    customer = await customer_in_scope(plan, data["customer"], "read", path=("input", "customer"))
    department = await _resolve_department(data.get("department"), customer)
    if not plan.allows(RESOURCE, "create", department.code):
        raise DomainError.single(ErrorCode.FORBIDDEN, f"you may not open tickets in {department.code}", ("input", "department"))
    assignee_id = data.get("assignee")
    if assignee_id is not None:
        if not plan.allows(RESOURCE, "manage", department.code) and not _self_assignment(plan, assignee_id, None):
            raise DomainError.single(ErrorCode.FORBIDDEN, "you may assign tickets only to yourself", ("input", "assignee"))
        await _check_assignee(assignee_id, department.id, ("input", "assignee"))
    sla = TicketContext(priority=values["priority"], department=department.code, tier=_plain(customer.tier),
                        category=values.get("category"), tags=tuple(values.get("tags") or ()), customer_id=customer.id,
                        custom=values.get("custom") or {})

    async def write(conn: BaseDBAsyncClient) -> Ticket:
        # The counter row stays locked until commit: concurrent opens take consecutive numbers, and a
        # rolled-back open gives its number back.
        number = format_ticket_number(await next_value(conn, TICKET_NUMBER))
        now = _now()
        # Plugins' rules may set category, priority, tags and (unless an assignee was named) the department.
        rules = await classify_new_ticket(active(), conn, values=values, department=department, customer=customer,
                                          given=frozenset(k for k, v in data.items() if v is not None), now=now)
        columns = {**values, **rules.values}
        target = rules.department if rules.department is not None and assignee_id is None else department
        await validate_record(RESOURCE, {**columns, "customer_id": customer.id, "department_id": target.id, "assignee_id": assignee_id},
                              columns, None, plan.actor)
        context = replace(sla, priority=columns["priority"], department=target.code, category=columns.get("category"),
                          tags=tuple(columns.get("tags") or ()))
        ticket = await Ticket.create(
            using_db=conn, number=number, customer_id=customer.id, department_id=target.id, assignee_id=assignee_id,
            status=TicketStatus.NEW, created_at=now, **columns, **(await sla_clock.terms_for_new_ticket(context, now)).columns(),
        )
        await _record(conn, plan, ticket.id, TicketActivityKind.CREATED, now, to_status=TicketStatus.NEW)
        if rules.reasons:
            await _record(conn, plan, ticket.id, TicketActivityKind.CLASSIFIED, now, note=rules.note()[:2000], data={"reasons": rules.reasons})
        if assignee_id is not None:
            await _record(conn, plan, ticket.id, TicketActivityKind.ASSIGNED, now, data={"from": None, "to": assignee_id})
        elif (auto := await choose_assignee(conn, context_of(ticket, target.code))) is not None:
            await assign_new_ticket(conn, ticket, auto, now)
        changed = [*columns, "customer", "department", "status", *(["assignee"] if ticket.assignee_id is not None else [])]
        await audit.record(conn, plan.actor, "ticket.open", RESOURCE, ticket.id, changed,
                           data={"number": number, "priority": _plain(ticket.priority)}, request_id=request_id)
        await emit(conn, "ticket.opened", RESOURCE, ticket.id, {
            "number": number, "customer": customer.id, "department": target.code, "priority": _plain(ticket.priority),
            "category": ticket.category, "assignee": ticket.assignee_id,
        })
        await reclassify(active(), conn, customer.id, actor=plan.actor, cause="ticket.opened")  # a first ticket makes a customer
        return ticket

    payload = {k: v for k, v in data.items() if k != "idempotencyKey"}

    async def load(pk: int) -> Ticket:
        return await Ticket.get(id=pk)

    return await run_once(
        f"openTicket:{plan.actor.subject}", data.get("idempotencyKey"), payload, RESOURCE, write, load, lambda t: t.id
    )


@publishes_ticket("ticket.updated")
async def update_ticket(
    plan: PermissionPlan, ticket_id: int, data: Mapping[str, Any], expected_version: int | None = None, request_id: str | None = None
) -> Ticket:
    """Change subject, description, priority, category, tags or custom. A new priority re-plans the
    default policy's due times from the ticket's opening; a new priority, category or tags is recorded
    as a CLASSIFIED activity."""
    values = normalize_ticket_fields(data, creating=False)
    async with in_transaction() as conn:
        current = await ticket_in_scope(plan, ticket_id, "update", conn)
        _check_version(current, expected_version)
        if "custom" in values:  # a partial change: merged into the stored values
            values["custom"] = merge_custom(RESOURCE, current.custom, values["custom"])
        previous = record_of(current)
        await validate_record(RESOURCE, {**previous, **values}, values, previous, plan.actor)
        changed = [key for key, value in values.items() if getattr(current, key) != value]
        if "priority" in changed:  # the policy may depend on the priority: choose and plan again
            values.update(await sla_clock.replan_columns(current, values["priority"], conn))
        now = _now()
        await _guarded_update(conn, current, now, **values)
        classified = {k: {"from": _plain(getattr(current, k)), "to": _plain(values[k])} for k in CLASSIFYING_FIELDS if k in changed}
        if classified:
            note = "; ".join(f"{k} {_describe(v['from'])} -> {_describe(v['to'])}" for k, v in classified.items())
            await _record(conn, plan, ticket_id, TicketActivityKind.CLASSIFIED, now, note=note, data=classified)
        await audit.record(conn, plan.actor, "ticket.update", RESOURCE, ticket_id, changed, request_id=request_id)
        await emit(conn, "ticket.updated", RESOURCE, ticket_id, {"fields": sorted(changed)})
        return await _reload(conn, ticket_id)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return "none" if value is None else str(value)


@publishes_ticket("ticket.transitioned")
async def transition(
    plan: PermissionPlan, ticket_id: int, to: TicketStatus | str, note: str | None = None,
    expected_version: int | None = None, request_id: str | None = None,
) -> Ticket:
    """Move the ticket along the workflow (see ticket_workflow); other moves are INVALID_TRANSITION."""
    to = TicketStatus(to)
    text = de.normalize_body(note, ("note",))
    async with in_transaction() as conn:
        current = await ticket_in_scope(plan, ticket_id, "update", conn)
        _check_version(current, expected_version)
        check_transition(current.status, to)
        now = _now()
        values: dict[str, Any] = {"status": to}
        if to == RESOLVED:
            values["resolved_at"] = now
        elif to == CLOSED:
            values["closed_at"] = now
        elif to == OPEN:  # reopen: the resolution target runs again
            values.update(resolved_at=None, closed_at=None)
        values.update(await sla_clock.transition_columns(current, to, now, conn))  # pause, resume, late stamps
        await _guarded_update(conn, current, now, **values)
        await record_breaches(conn, current, values, now)
        await _record(conn, plan, ticket_id, TicketActivityKind.STATUS_CHANGED, now, note=text,
                      from_status=current.status, to_status=to)
        await audit.record(conn, plan.actor, "ticket.transition", RESOURCE, ticket_id, values,
                           data={"from": TicketStatus(current.status).value, "to": to.value}, request_id=request_id)
        await emit(conn, "ticket.transitioned", RESOURCE, ticket_id, {"from": TicketStatus(current.status).value, "to": to.value})
        return await _reload(conn, ticket_id)


@publishes_ticket("ticket.assigned")
async def assign(
    plan: PermissionPlan, ticket_id: int, assignee_id: int | None, request_id: str | None = None, *, unassign: bool = False
) -> Ticket:
    """Give the ticket to an active agent of its department; ``None``: to the agent the department's
    assignment rule chooses (round-robin, least open tickets: see ``services.assignment``), or to nobody
    in a department that assigns manually; ``unassign=True``: to nobody.

    Needs ``manage`` on the ticket, except to take it oneself or hand back one's own (``update``).
    Assigning the current assignee again changes nothing.
    """
    async with in_transaction() as conn:
        current = await ticket_in_scope(plan, ticket_id, "read", conn)
        code = await sla_clock.department_code(current.department_id, conn)
        automatic = assignee_id is None and not unassign and strategy_of(code) != "manual"
        managed = await _in(await ticket_scope(plan, "manage"), ticket_id, conn) is not None
        if not managed:
            updatable = await _in(await ticket_scope(plan, "update"), ticket_id, conn) is not None
            if automatic or not (updatable and _self_assignment(plan, assignee_id, current.assignee_id)):
                raise DomainError.single(ErrorCode.FORBIDDEN, "you may only assign this ticket to yourself", ("assignee",))
        if automatic:
            choice = await choose_assignee(conn, context_of(current, code))
            if choice is None:
                raise DomainError.single(ErrorCode.INVALID, f"no active agent in {code} to assign automatically", ("assignee",))
            if choice.agent_id == current.assignee_id:
                return current
            now = _now()
            await _guarded_update(conn, current, now, assignee_id=choice.agent_id)
            await record_assignment(conn, current, choice, now, actor_id=plan.actor.agent_id)
            change = {"from": current.assignee_id, "to": choice.agent_id, "rule": choice.rule}
            await audit.record(conn, plan.actor, "ticket.assign", RESOURCE, ticket_id, ["assignee"], data=change, request_id=request_id)
            await emit(conn, "ticket.assigned", RESOURCE, ticket_id, change)
            return await _reload(conn, ticket_id)
        if assignee_id is not None:
            await _check_assignee(assignee_id, current.department_id, ("assignee",), conn)
        if assignee_id == current.assignee_id:
            return current
        now = _now()
        await _guarded_update(conn, current, now, assignee_id=assignee_id)
        change = {"from": current.assignee_id, "to": assignee_id}
        await _record(conn, plan, ticket_id, TicketActivityKind.ASSIGNED, now, note=None if assignee_id else "unassigned", data=change)
        await audit.record(conn, plan.actor, "ticket.assign", RESOURCE, ticket_id, ["assignee"], data=change, request_id=request_id)
        await emit(conn, "ticket.assigned", RESOURCE, ticket_id, change)
        return await _reload(conn, ticket_id)


@publishes_ticket("ticket.updated")
async def add_activity(
    plan: PermissionPlan, ticket_id: int, kind: TicketActivityKind | str, note: str | None,
    minutes_spent: int | None = None, request_id: str | None = None,
) -> Ticket:
    """Add a COMMENT or WORK_LOG to the ticket's record. An agent's first comment is the first response."""
    kind, text, minutes = normalize_activity(kind, note, minutes_spent)
    async with in_transaction() as conn:
        current = await ticket_in_scope(plan, ticket_id, "update", conn)
        now = _now()
        activity = await _record(conn, plan, ticket_id, kind, now, note=text, minutes_spent=minutes)
        changed: list[str] = []
        if kind == TicketActivityKind.COMMENT and plan.actor.agent_id is not None:
            changed = await record_first_response(conn, current, now)
        await audit.record(conn, plan.actor, "ticket.activity", RESOURCE, ticket_id, changed,
                           data={"kind": kind.value, "activity": activity.id, "minutesSpent": minutes}, request_id=request_id)
        await emit(conn, "ticket.updated", RESOURCE, ticket_id, {"activity": kind.value, "fields": sorted(changed)})
        return await _reload(conn, ticket_id)


@publishes_ticket("ticket.rated")
async def rate(plan: PermissionPlan, ticket_id: int, satisfaction: int, comment: str | None = None, request_id: str | None = None) -> Ticket:
    """Record the customer's satisfaction (1..5) with a resolved or closed ticket; a new rating replaces the last."""
    satisfaction, text = normalize_rating(satisfaction, comment)
    async with in_transaction() as conn:
        current = await ticket_in_scope(plan, ticket_id, "update", conn)
        if TicketStatus(current.status) not in DONE:
            raise DomainError.single(
                ErrorCode.INVALID_TRANSITION,
                f"a ticket can be rated once RESOLVED or CLOSED (it is {TicketStatus(current.status).name})", None,
            )
        now = _now()
        await _guarded_update(conn, current, now, satisfaction=satisfaction, satisfaction_comment=text)
        await _record(conn, plan, ticket_id, TicketActivityKind.RATED, now, note=text, data={"satisfaction": satisfaction})
        await audit.record(conn, plan.actor, "ticket.rate", RESOURCE, ticket_id, ["satisfaction", "satisfaction_comment"],
                           data={"satisfaction": satisfaction}, request_id=request_id)
        await emit(conn, "ticket.rated", RESOURCE, ticket_id, {"satisfaction": satisfaction})
        return await _reload(conn, ticket_id)
