"""Data versions: bumped in the writing transaction (so only committed writes count), per table, by the
audit hook every domain write passes; the report cache keys on them."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from rapport.models import Customer, Department, InteractionDirection
from rapport.services import customers as customer_service
from rapport.services import data_versions
from rapport.services import interactions as interaction_service
from rapport.services import tickets as ticket_service
from tests.support.personas import cast
from tests.support.report_data import plan_of


async def versions() -> dict[str, int]:
    return await data_versions.read(connections.get("default"))


async def test_versions_start_at_zero_and_touch_bumps_only_the_tables_named(db) -> None:
    assert await versions() == {"customers": 0, "interactions": 0, "tickets": 0}
    async with in_transaction() as conn:
        await data_versions.touch(conn, "tickets", "customers")
        await data_versions.touch(conn, "tickets")
    assert await versions() == {"customers": 1, "interactions": 0, "tickets": 2}


async def test_concurrent_writers_spread_over_shards_and_every_commit_counts(db) -> None:
    async def write() -> None:
        async with in_transaction() as conn:
            await data_versions.touch(conn, "tickets")
            await data_versions.touch(conn, "interactions", "tickets")  # one shard per transaction

    await asyncio.gather(*(write() for _ in range(30)))
    assert await versions() == {"customers": 0, "interactions": 30, "tickets": 60}


async def test_a_rolled_back_write_leaves_the_versions_alone(db) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await data_versions.touch(conn, *data_versions.TABLES)
            raise RuntimeError("the write failed")
    assert await versions() == {"customers": 0, "interactions": 0, "tickets": 0}


async def test_every_domain_write_bumps_the_versions_of_what_it_changed(db, settings) -> None:
    people = await cast(settings)
    lead = await plan_of(people["lead"].agent)
    before = await versions()
    customer = await customer_service.create_customer(lead, {"name": "Acme"}, settings)
    after_customer = await versions()
    assert after_customer["customers"] > before["customers"]
    assert after_customer["tickets"] == before["tickets"]

    ticket = await ticket_service.open_ticket(lead, {"customer": customer.id, "subject": "Broken"}, settings)
    after_ticket = await versions()
    assert after_ticket["tickets"] > after_customer["tickets"]
    assert after_ticket["interactions"] == after_customer["interactions"]

    # an outbound reply on the ticket stamps its first response: interactions and tickets both change
    await interaction_service.log_interaction(lead, {"customer": customer.id, "ticket": ticket.id, "channel": "email",
                                                     "direction": InteractionDirection.OUTBOUND, "subject": "Re: Broken"}, settings)
    after_reply = await versions()
    assert after_reply["interactions"] > after_ticket["interactions"]
    assert after_reply["tickets"] > after_ticket["tickets"]


async def test_writes_outside_the_services_are_not_seen(db) -> None:
    """The limit of the design: a write that bypasses the services (SQL by hand, an import) bumps
    nothing; cached reports over it live out their TTL (rapport.services.reports.cache.TTL_SECONDS)."""
    sales = await Department.create(code="sales", name="Sales")
    await Customer.create(name="Raw", department=sales)
    assert (await versions())["customers"] == 0
