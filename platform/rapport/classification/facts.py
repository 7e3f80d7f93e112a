"""The signals classification rules see: a customer's record plus aggregates of its interactions and
tickets, fetched for many customers at once (four grouped queries, whatever their number)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import RawSQL
from tortoise.functions import Count, Max

from rapport.models import Customer, Interaction, Ticket
from rapport.plugin_api import CustomerFacts

YEAR = timedelta(days=365)
OPEN_STATUSES = ("new", "open", "pending")


def _purchase_sql(dialect: str) -> str:
    """1 for an interaction whose custom JSON says ``"purchase": true``."""
    if dialect == "postgres":
        return "CASE WHEN (\"custom\"->>'purchase') = 'true' THEN 1 ELSE 0 END"
    return "CASE WHEN json_type(\"custom\", '$.purchase') = 'true' THEN 1 ELSE 0 END"


async def _grouped(query: Any, conn: BaseDBAsyncClient | None, **aggregates: Any) -> dict[int, dict[str, Any]]:
    if conn is not None:
        query = query.using_db(conn)
    rows = await query.annotate(**aggregates).group_by("customer_id").values("customer_id", *aggregates)
    return {row["customer_id"]: row for row in rows}


async def signals(customer_ids: Sequence[int], now: datetime, conn: BaseDBAsyncClient | None = None) -> dict[int, dict[str, Any]]:
    """Per customer id: interactions in the last year, purchases, tickets, open tickets, last ticket."""
    if not customer_ids:
        return {}
    ids = list(customer_ids)
    dialect = (conn or connections.get("default")).capabilities.dialect
    recent = await _grouped(Interaction.filter(customer_id__in=ids, occurred_at__gte=now - YEAR), conn, n=Count("id"))
    purchases = await _grouped(
        Interaction.filter(customer_id__in=ids).annotate(purchase=RawSQL(_purchase_sql(dialect))).filter(purchase=1),
        conn, n=Count("id"),
    )
    tickets = await _grouped(Ticket.filter(customer_id__in=ids), conn, n=Count("id"), last=Max("created_at"))
    open_tickets = await _grouped(Ticket.filter(customer_id__in=ids, status__in=OPEN_STATUSES), conn, n=Count("id"))
    return {
        pk: {
            "interactions_last_365_days": recent.get(pk, {}).get("n", 0),
            "purchases": purchases.get(pk, {}).get("n", 0),
            "tickets": tickets.get(pk, {}).get("n", 0),
            "last_ticket_at": tickets.get(pk, {}).get("last"),
            "open_tickets": open_tickets.get(pk, {}).get("n", 0),
        }
        for pk in ids
    }


NO_SIGNALS = {"interactions_last_365_days": 0, "purchases": 0, "tickets": 0, "last_ticket_at": None, "open_tickets": 0}


def customer_facts(
    record: Mapping[str, Any], department: str, found: Mapping[str, Any] | None, now: datetime, customer_id: int | None = None
) -> CustomerFacts:
    """Facts from column values (``record``: a Customer's columns, possibly changed) and signals."""
    found = found or NO_SIGNALS
    last_ticket = found["last_ticket_at"]
    if isinstance(last_ticket, str):  # SQLite returns aggregates of datetimes as text
        last_ticket = datetime.fromisoformat(last_ticket)
    return CustomerFacts(
        id=customer_id,
        department=department,
        name=record.get("name") or "",
        company=record.get("company"),
        tags=tuple(record.get("tags") or ()),
        custom=dict(record.get("custom") or {}),
        segment=str(getattr(record.get("segment"), "value", record.get("segment") or "potential")),
        tier=str(getattr(record.get("tier"), "value", record.get("tier") or "potential")),
        created_at=record.get("created_at") or now,
        last_interaction_at=record.get("last_interaction_at"),
        interactions_last_365_days=found["interactions_last_365_days"],
        purchases=found["purchases"],
        tickets=found["tickets"],
        open_tickets=found["open_tickets"],
        last_ticket_at=last_ticket,
        now=now,
    )


def columns_of(row: Customer) -> dict[str, Any]:
    """A customer's columns as classification reads them."""
    return {
        "name": row.name, "company": row.company, "tags": list(row.tags or []), "custom": dict(row.custom or {}),
        "segment": row.segment, "tier": row.tier, "created_at": row.created_at, "last_interaction_at": row.last_interaction_at,
    }


def ids_of(rows: Iterable[Customer]) -> list[int]:
    return [row.id for row in rows]
