"""Customer operations: create, update, soft delete and merge, each in one transaction with its audit entry.

Authorization: the caller passes the actor's permission plan. A customer outside the plan's read scope
is reported exactly as a missing one (NOT_FOUND); one that is readable but not changeable is FORBIDDEN.
A duplicate email or phone names the other customer only when the caller may read it (see
``customer_duplicates``).

Update and delete lock the row they change (``FOR UPDATE`` on PostgreSQL; SQLite serializes writers), so
concurrent writers queue: without ``expected_version`` each applies on the latest version (last writer
wins); with it, a stale version is the only CONFLICT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from rapport.authz.plan import PermissionPlan
from rapport.authz.sql import row_filter
from rapport.classification.customers import classify_for_write, reclassify
from rapport.custom_fields.values import merge_custom
from rapport.events.outbox import emit
from rapport.models import Agent, Customer, Department, Interaction, Ticket
from rapport.plugins import active
from rapport.services import audit
from rapport.services.customer_duplicates import check_duplicates, refusing_duplicates
from rapport.services.customer_input import normalize_customer_fields
from rapport.services.errors import DomainError, ErrorCode
from rapport.services.record_validation import record_of, validate_record
from rapport.services.segment_history import record_segment_change
from rapport.settings import Settings

RESOURCE = "customer"


def _not_found(path: Sequence[str] = ("id",)) -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, "customer not found", path)


def live_customers() -> Any:
    return Customer.filter(deleted_at__isnull=True)


async def customer_in_scope(
    plan: PermissionPlan, customer_id: int, action: str, conn: BaseDBAsyncClient | None = None, path: Sequence[str] = ("id",),
    *, lock: bool = False,
) -> Customer:
    """The live customer if the plan lets the actor do ``action`` on it; NOT_FOUND / FORBIDDEN otherwise.

    ``lock`` holds the row until ``conn``'s transaction ends, so the caller changes the version it read."""
    readable = await row_filter(plan, RESOURCE, "read")
    query = live_customers().filter(id=customer_id)
    if lock:
        query = query.select_for_update()
    if conn is not None:
        query = query.using_db(conn)
    if readable is None or (customer := await query.filter(readable).first()) is None:
        raise _not_found(path)
    if action != "read":
        allowed = await row_filter(plan, RESOURCE, action)
        if allowed is None or not await live_customers().filter(Q(id=customer_id) & allowed).using_db(conn).exists():
            raise DomainError.single(ErrorCode.FORBIDDEN, f"you may not {action} this customer", path)
    return customer


async def _resolve_department(plan: PermissionPlan, code: str | None) -> Department:
    code = code or plan.actor.department
    if not code:
        raise DomainError.single(ErrorCode.REQUIRED, "department is required (you belong to none)", ("input", "department"))
    department = await Department.get_or_none(code=code)
    if department is None:
        raise DomainError.single(ErrorCode.INVALID, f"department {code!r} does not exist", ("input", "department"))
    return department


async def _resolve_owner(owner_id: int | None) -> int | None:
    if owner_id is None:
        return None
    if not await Agent.exists(id=owner_id):
        raise DomainError.single(ErrorCode.INVALID, "owner is not an agent", ("input", "owner"))
    return owner_id


def _explicit(values: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """What the writer set explicitly, for classification: a null segment or tier clears its pin."""
    return {**values, **{key: None for key in ("segment", "tier") if key in data and data[key] is None}}


async def create_customer(plan: PermissionPlan, data: Mapping[str, Any], settings: Settings, request_id: str | None = None) -> Customer:
    values = normalize_customer_fields(data, settings.default_phone_region, creating=True)
    department = await _resolve_department(plan, data.get("department"))
    if not plan.allows(RESOURCE, "create", department.code):
        raise DomainError.single(ErrorCode.FORBIDDEN, f"you may not create customers in {department.code}", ("input", "department"))
    owner_id = await _resolve_owner(data.get("owner"))
    if owner_id is None and "owner" not in data:
        owner_id = plan.actor.agent_id
    now = datetime.now(UTC)
    async with refusing_duplicates(plan, values, None, "create", request_id), in_transaction() as conn:
        await check_duplicates(plan, conn, values, None)
        # Plugins check and classify inside the transaction: one that raises leaves nothing written.
        await validate_record(RESOURCE, {**values, "department_id": department.id, "owner_id": owner_id}, values, None, plan.actor)
        outcome = await classify_for_write(active(), conn, record=values, department=department.code, row=None,
                                           given=_explicit(values, data), actor_subject=plan.actor.subject, now=now)
        given_fields = list(values)
        values.update(outcome.columns())
        customer = await Customer.create(using_db=conn, department=department, owner_id=owner_id, **values)
        why = outcome.reasons["segment"]
        await record_segment_change(conn, customer.id, department.id, None, customer.segment, customer.created_at,
                                    why["rule"], why["plugin"])
        await audit.record(conn, plan.actor, "customer.create", RESOURCE, customer.id, values.keys(), request_id=request_id)
        await emit(conn, "customer.created", RESOURCE, customer.id, {"department": department.code, "fields": sorted(given_fields)})
    return customer


async def update_customer(
    plan: PermissionPlan, customer_id: int, data: Mapping[str, Any], settings: Settings,
    expected_version: int | None = None, request_id: str | None = None,
) -> Customer:
    values = normalize_customer_fields(data, settings.default_phone_region, creating=False)
    if "department" in data and data["department"] is not None:
        department = await _resolve_department(plan, data["department"])
        if not plan.allows(RESOURCE, "create", department.code):
            raise DomainError.single(ErrorCode.FORBIDDEN, f"you may not move customers to {department.code}", ("input", "department"))
        values["department_id"] = department.id
    if "owner" in data:
        values["owner_id"] = await _resolve_owner(data["owner"])
    async with refusing_duplicates(plan, values, customer_id, "update", request_id), in_transaction() as conn:
        current = await customer_in_scope(plan, customer_id, "update", conn, lock=True)
        if expected_version is not None and current.version != expected_version:
            raise DomainError.single(ErrorCode.CONFLICT, f"customer changed meanwhile (version {current.version}, expected {expected_version})", ("expectedVersion",))
        await check_duplicates(plan, conn, values, customer_id)
        if "custom" in values:  # a partial change: merged into the stored values
            values["custom"] = merge_custom(RESOURCE, current.custom, values["custom"])
        previous = record_of(current)
        record = {**previous, **values}
        await validate_record(RESOURCE, record, values, previous, plan.actor)
        now = datetime.now(UTC)
        department_id = values.get("department_id", current.department_id)
        code = await Department.filter(id=department_id).using_db(conn).first().values_list("code", flat=True)
        outcome = await classify_for_write(active(), conn, record=record, department=code, row=current,
                                           given=_explicit(values, data), actor_subject=plan.actor.subject, now=now)
        values.update(outcome.columns())
        changed = [key for key, value in values.items() if key != "classification" and getattr(current, key) != value]
        # The row is locked since it was read, so its version is still current.version.
        await Customer.filter(id=customer_id).using_db(conn).update(**values, version=F("version") + 1, updated_at=now)
        if "segment" in changed:
            why = outcome.reasons["segment"]
            await record_segment_change(conn, customer_id, department_id, current.segment, values["segment"], now,
                                        why["rule"], why["plugin"])
        await audit.record(conn, plan.actor, "customer.update", RESOURCE, customer_id, changed, request_id=request_id)
        await emit(conn, "customer.updated", RESOURCE, customer_id, {"fields": sorted(changed)})
        return await Customer.get(id=customer_id).using_db(conn)


async def delete_customer(plan: PermissionPlan, customer_id: int, request_id: str | None = None) -> Customer:
    """Soft delete: the row stays (with its history) but no read or list shows it again."""
    async with in_transaction() as conn:
        await customer_in_scope(plan, customer_id, "delete", conn, lock=True)
        now = datetime.now(UTC)
        await Customer.filter(id=customer_id).using_db(conn).update(deleted_at=now, version=F("version") + 1, updated_at=now)
        await audit.record(conn, plan.actor, "customer.delete", RESOURCE, customer_id, ["deleted_at"], request_id=request_id)
        await emit(conn, "customer.deleted", RESOURCE, customer_id, {})
        return await Customer.get(id=customer_id).using_db(conn)


async def merge_customers(
    plan: PermissionPlan, survivor_id: int, duplicate_ids: Sequence[int], request_id: str | None = None
) -> tuple[Customer, list[int]]:
    """Move the duplicates' interactions and tickets to the survivor, then soft-delete the duplicates."""
    duplicates = list(dict.fromkeys(duplicate_ids))
    if not duplicates:
        raise DomainError.single(ErrorCode.REQUIRED, "name at least one duplicate", ("duplicates",))
    if survivor_id in duplicates:
        raise DomainError.single(ErrorCode.INVALID, "the survivor cannot also be a duplicate", ("duplicates",))
    async with in_transaction() as conn:
        survivor = await customer_in_scope(plan, survivor_id, "update", conn, ("survivor",))
        rows = [await customer_in_scope(plan, d, "delete", conn, ("duplicates", str(i))) for i, d in enumerate(duplicates)]
        now = datetime.now(UTC)
        await Interaction.filter(customer_id__in=duplicates).using_db(conn).update(customer_id=survivor_id)
        await Ticket.filter(customer_id__in=duplicates).using_db(conn).update(customer_id=survivor_id)
        tags = list(dict.fromkeys([*survivor.tags, *(t for row in rows for t in row.tags)]))
        last = max((r.last_interaction_at for r in [survivor, *rows] if r.last_interaction_at), default=None)
        fill = {f: next((getattr(r, f) for r in rows if getattr(r, f)), None) for f in ("company", "title") if not getattr(survivor, f)}
        await Customer.filter(id__in=duplicates).using_db(conn).update(
            deleted_at=now, merged_into_id=survivor_id, version=F("version") + 1, updated_at=now
        )
        await Customer.filter(id=survivor_id).using_db(conn).update(
            tags=tags, last_interaction_at=last, version=F("version") + 1, updated_at=now, **{k: v for k, v in fill.items() if v}
        )
        await audit.record(conn, plan.actor, "customer.merge", RESOURCE, survivor_id, ["tags", "last_interaction_at", *fill],
                           data={"merged": duplicates}, request_id=request_id)
        for duplicate in duplicates:
            await audit.record(conn, plan.actor, "customer.merged_into", RESOURCE, duplicate, ["deleted_at", "merged_into"],
                               data={"survivor": survivor_id}, request_id=request_id)
            await emit(conn, "customer.deleted", RESOURCE, duplicate, {"mergedInto": survivor_id})
        await emit(conn, "customer.merged", RESOURCE, survivor_id, {"merged": duplicates})
        # The survivor has the duplicates' interactions and tickets now: its classes may change.
        await reclassify(active(), conn, survivor_id, actor=plan.actor, cause="customer.merged", now=now)
        return await Customer.get(id=survivor_id).using_db(conn), duplicates
