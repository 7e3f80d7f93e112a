"""Segment history: every change of a customer's segment, written in the transaction that changes it.

The churn report reads it ("the segment of a customer at time t" = ``to_segment`` of its latest change
before t), so every writer of ``customers.segment`` calls :func:`record_segment_change`: creation (from
None), updates through ``services.customers``, classification rules of plugins. Merges and deletes do
not change a segment and record nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from rapport.models import CustomerSegment, CustomerSegmentChange
from rapport.services import data_versions


async def record_segment_change(
    conn: BaseDBAsyncClient,
    customer_id: int,
    department_id: int,
    old: CustomerSegment | str | None,
    new: CustomerSegment | str,
    at: datetime,
    rule: str,
    plugin: str = "rapport",
) -> CustomerSegmentChange | None:
    """Record that ``customer_id`` (of ``department_id``) moved from segment ``old`` (None at creation) to
    ``new`` at ``at``, decided by ``rule`` of ``plugin``; nothing when the segment did not change.

    Call it inside the transaction that writes the customer (``conn``), so the row and its history
    commit or roll back together. ``at`` must be timezone-aware (it is stored in UTC)."""
    new = CustomerSegment(new)
    old = CustomerSegment(old) if old is not None else None
    if old == new:
        return None
    if at.tzinfo is None:
        raise ValueError("record_segment_change: 'at' must be timezone-aware")
    change = await CustomerSegmentChange.create(
        using_db=conn, customer_id=customer_id, department_id=department_id, from_segment=old, to_segment=new,
        at=at.astimezone(UTC), rule=rule[:200], plugin=plugin[:100],
    )
    # Callers usually audit the customer write too; a rule applied by a job may not: churn must not lag.
    await data_versions.touch(conn, data_versions.CUSTOMERS)
    return change
