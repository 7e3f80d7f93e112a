"""Dedupe of customers' email and phone, told only as far as the caller may read.

A write that would give two live customers the same email or phone is always refused. What the
DUPLICATE error says depends on the caller: it names the other customer only when the caller may read
that customer and the clashing field in full. Otherwise the error must not tie the value to a row (a
guessed masked email would be confirmed otherwise), so it is one message with the same code and path
whether the other customer is in another department, masked in the caller's own, or hidden.

A refusal is audited after the write's transaction rolled back (the field, never the value), so
guessing shows up in the audit trail. A concurrent insert caught by the partial unique index is
reported by the same rule: the rival row is looked up again once it is committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from rapport.authz.plan import PermissionPlan
from rapport.graphql.core.ids import to_global_id
from rapport.models import AuditEntry, Customer
from rapport.services.errors import DomainError, ErrorCode, Problem

DEDUPED_FIELDS = ("email", "phone")
REFUSED_ACTION = "customer.duplicate_refused"


@dataclass(frozen=True, slots=True)
class Clash:
    field: str
    customer_id: int
    nameable: bool  # the caller may read that customer and this field of it in full

    def problem(self) -> Problem:
        if self.nameable:
            message = f"{self.field} is already used by customer {to_global_id('Customer', self.customer_id)}"
        else:
            message = f"{self.field} is already used by another customer"
        return Problem(ErrorCode.DUPLICATE, message, ("input", self.field))


class DuplicateRefused(DomainError):
    """The write was refused because of ``clashes``; its problems say only what the caller may read."""

    def __init__(self, clashes: list[Clash]) -> None:
        self.clashes = clashes
        super().__init__([clash.problem() for clash in clashes])


async def find_clashes(
    plan: PermissionPlan, values: Mapping[str, Any], exclude_id: int | None, conn: BaseDBAsyncClient | None = None
) -> list[Clash]:
    """The live customers (other than ``exclude_id``) that already hold ``values``' email or phone."""
    clashes = []
    for field in DEDUPED_FIELDS:
        value = values.get(field)
        if not value:
            continue
        query = Customer.filter(deleted_at__isnull=True, **{field: value})
        if exclude_id is not None:
            query = query.exclude(id=exclude_id)
        if conn is not None:
            query = query.using_db(conn)
        row = await query.first().values("id", "owner_id", "department__code")
        if row is None:
            continue
        own = plan.actor.agent_id is not None and row["owner_id"] == plan.actor.agent_id
        # field_mode is "hidden" when the row itself is out of read scope, so one question covers both.
        mode = plan.field_mode(f"customer.{field}", row["department__code"], own)
        clashes.append(Clash(field, row["id"], mode == "full"))
    return clashes


async def check_duplicates(
    plan: PermissionPlan, conn: BaseDBAsyncClient, values: Mapping[str, Any], exclude_id: int | None
) -> None:
    """Raise :class:`DuplicateRefused` when ``values`` clash with another live customer."""
    clashes = await find_clashes(plan, values, exclude_id, conn)
    if clashes:
        raise DuplicateRefused(clashes)


@asynccontextmanager
async def refusing_duplicates(
    plan: PermissionPlan, values: Mapping[str, Any], exclude_id: int | None, attempt: str, request_id: str | None
) -> AsyncIterator[None]:
    """Wrap a write's transaction: a duplicate refusal, found by :func:`check_duplicates` or by the unique
    index, leaves it (rolled back), is audited, and is raised as :class:`DuplicateRefused`."""
    try:
        yield
    except DuplicateRefused as error:
        refused = error
    except IntegrityError:
        # A concurrent writer committed the same email or phone between our check and our write: it is
        # visible now, so it is reported exactly like one the check had found.
        clashes = await find_clashes(plan, values, exclude_id)
        if not clashes:  # the rival is gone again (or another constraint failed): name nothing
            raise DomainError.single(ErrorCode.DUPLICATE, "email or phone was just taken by another customer", ("input",)) from None
        refused = DuplicateRefused(clashes)
    else:
        return
    await _audit_refusal(plan, refused, exclude_id, attempt, request_id)
    raise refused from None


async def _audit_refusal(
    plan: PermissionPlan, refused: DuplicateRefused, target_id: int | None, attempt: str, request_id: str | None
) -> None:
    # One entry per clash, filed under the customer whose value was hit, so a security admin sees who
    # keeps probing which customer. The field's name only: the value would be the very thing probed.
    # Written directly, not through audit.record: nothing changed, so no cached report may be dropped
    # (a caller repeating refused writes must not be able to flush the report cache).
    await AuditEntry.bulk_create([
        AuditEntry(actor=plan.actor.subject, action=REFUSED_ACTION, entity="customer", entity_id=str(clash.customer_id),
                   fields_changed=[], data={"field": clash.field, "attempt": attempt, "target": target_id},
                   request_id=request_id)
        for clash in refused.clashes
    ])
