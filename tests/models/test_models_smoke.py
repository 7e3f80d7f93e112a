from datetime import UTC, datetime, timedelta

from rapport.models import Customer, Department, Ticket


async def test_customer_and_ticket_round_trip(db: None) -> None:
    sales = await Department.create(code="sales", name="Sales")
    customer = await Customer.create(name="王小明", department=sales, tags=["vip"])
    now = datetime.now(UTC)
    ticket = await Ticket.create(
        number="T-000001", subject="Help", customer=customer, department=sales,
        first_response_due_at=now + timedelta(hours=1), resolution_due_at=now + timedelta(hours=4),
    )
    loaded = await Ticket.get(id=ticket.id).prefetch_related("customer")
    assert loaded.customer.name == "王小明"
    assert loaded.customer.tags == ["vip"]
    assert loaded.version == 1
    assert loaded.first_response_due_at.tzinfo is not None
