"""Segment history: a row for every change of a customer's segment, written in the same transaction;
nothing for writes that do not change it; the demo data's history agrees with its customers."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest
from tortoise.transactions import in_transaction

from rapport.models import Customer, CustomerSegment, CustomerSegmentChange, Department
from rapport.services import customers as service
from rapport.services.demo_data import seed_demo
from rapport.services.segment_history import record_segment_change
from tests.support.personas import cast
from tests.support.report_data import plan_of

S = CustomerSegment


@pytest.fixture
async def lead(db, settings):
    people = await cast(settings)
    return await plan_of(people["lead"].agent)


async def history(customer_id: int) -> list[tuple[S | None, S]]:
    rows = await CustomerSegmentChange.filter(customer_id=customer_id).order_by("at", "id")
    return [(row.from_segment, row.to_segment) for row in rows]


async def test_creating_a_customer_records_its_first_segment(lead, settings) -> None:
    customer = await service.create_customer(lead, {"name": "Acme"}, settings)
    (row,) = await CustomerSegmentChange.filter(customer_id=customer.id)
    assert (row.from_segment, row.to_segment, row.department_id) == (None, customer.segment, customer.department_id)
    assert row.at == customer.created_at and row.rule and row.plugin
    pinned = await service.create_customer(lead, {"name": "Beta", "segment": S.EXISTING}, settings)
    assert await history(pinned.id) == [(None, S.EXISTING)]


async def test_a_segment_change_is_recorded_and_other_updates_are_not(lead, settings) -> None:
    customer = await service.create_customer(lead, {"name": "Acme", "segment": S.EXISTING}, settings)
    await service.update_customer(lead, customer.id, {"title": "CEO"}, settings)
    assert await history(customer.id) == [(None, S.EXISTING)]
    before = datetime.now(UTC)
    await service.update_customer(lead, customer.id, {"segment": S.CHURNED}, settings)
    assert await history(customer.id) == [(None, S.EXISTING), (S.EXISTING, S.CHURNED)]
    last = await CustomerSegmentChange.filter(customer_id=customer.id).order_by("-id").first()
    assert last.at >= before.replace(microsecond=0)
    await service.delete_customer(lead, customer.id)
    assert len(await history(customer.id)) == 2


async def test_record_segment_change_skips_non_changes_and_rolls_back_with_its_write(db) -> None:
    sales = await Department.create(code="sales", name="Sales")
    customer = await Customer.create(name="Acme", department=sales)
    now = datetime.now(UTC)
    async with in_transaction() as conn:
        assert await record_segment_change(conn, customer.id, sales.id, S.EXISTING, "existing", now, "r") is None
        with pytest.raises(ValueError):
            await record_segment_change(conn, customer.id, sales.id, None, S.EXISTING, now.replace(tzinfo=None), "r")
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await record_segment_change(conn, customer.id, sales.id, None, S.EXISTING, now, "r")
            raise RuntimeError("the customer write failed")
    assert await history(customer.id) == []


async def test_the_demo_history_agrees_with_the_demo_customers(db) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    await seed_demo(now=now)
    changes = defaultdict(list)
    for row in await CustomerSegmentChange.all().order_by("at", "id"):
        changes[row.customer_id].append(row)
    customers = await Customer.all()
    assert {c.id for c in customers} == set(changes)
    for customer in customers:
        rows = changes[customer.id]
        assert rows[0].from_segment is None and rows[0].at == customer.created_at
        assert [r.from_segment for r in rows[1:]] == [r.to_segment for r in rows[:-1]]  # a chain
        assert rows[-1].to_segment == customer.segment and rows[-1].at < now
        assert all(r.department_id == customer.department_id for r in rows)
    churned = [c for c in customers if c.segment == S.CHURNED]
    assert churned and all(changes[c.id][-2].to_segment == S.EXISTING for c in churned)
