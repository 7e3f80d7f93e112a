"""The standard reports: one definition per metric, each a single SQL aggregate.

Each function runs one statement on SQLite or PostgreSQL (filters and the viewer's scope pushed into
SQL, grouped in SQL) that returns exact integers: counts, sums of integers, whole seconds. The only
arithmetic after the database is one division per row, in decimal and rounded half up
(:func:`ratio`), so both databases give identical numbers to the last digit.

Periods are half-open: a ticket is "opened in [from, to)" when ``from <= created_at < to``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rapport.services.reports import scopes
from rapport.services.reports.dimensions import (
    CUSTOMERS, INTERACTIONS, TICKETS, Dimension, Grouping, Source, grouping, name_group,
)
from rapport.services.reports.period import Period
from rapport.services.reports.statement import Statement

D = Dimension


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: float
    numerator: float | None
    denominator: float | None


@dataclass(frozen=True)
class Ask:
    """One computation: the period (None for snapshots), the grouping, and the countable rows."""

    period: Period | None
    dimension: Dimension | None
    scope: scopes.Countable


def ratio(numerator: int, denominator: int, scale: int, places: int) -> float:
    """``scale * numerator / denominator`` rounded half up to ``places`` decimals, computed in decimal."""
    exact = Decimal(numerator) * scale / Decimal(denominator)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _int(value: Any) -> int:
    return int(value or 0)


def _rows(g: Grouping, found: list[dict[str, Any]], make: Callable[[dict[str, Any]], tuple[float, int | None, int | None] | None]) -> list[Row]:
    """Name, order and finish the database's rows; ``make`` gives (value, numerator, denominator) or None
    when the value is undefined (an empty denominator): such groups are left out."""
    named = []
    for row in found:
        made = make(row)
        if made is None:
            continue
        key, label, order = name_group(g, row)
        value, numerator, denominator = made
        named.append((order, Row(key, label, value, _float(numerator), _float(denominator))))
    return [row for _, row in sorted(named, key=lambda pair: pair[0])]


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)


def _where(conditions: list[str | None]) -> str:
    return " AND ".join(c for c in conditions if c) or "1 = 1"


def _counted(st: Statement, ask: Ask, source: Source, g: Grouping, *extra: str) -> str:
    """``FROM ... WHERE``: the rows of ``source`` (tickets ``t``, interactions ``i``) that the viewer may
    count, with the conditions ``extra`` (the period first: it is what the indexes find).

    One join to the customer ``c`` carries liveness, the viewer's customer scope and the grouping's
    customer columns. When none of those needs it (the viewer reads every customer, the reaches and the
    grouping use the row's own columns), the row only has to not belong to a deleted customer: an
    anti-join on the few deleted customers (a partial index), not a join over all live ones."""
    alias = source.alias
    reach = ask.scope
    rows = [scopes.condition(st, r, source.department, source.owner) for r in reach.rows]
    customers = scopes.condition(st, reach.customers, CUSTOMERS.department, CUSTOMERS.owner)
    needs_customer = (customers is not None or g.reads_customer
                      or (source.department.startswith("c.") and any(rows)))
    if needs_customer:
        return (f"FROM {source.name} {alias} JOIN customers c ON c.id = {alias}.customer_id {g.joins} "
                f"WHERE {_where([*extra, *rows, 'c.deleted_at IS NULL', customers])}")
    deleted = (f"NOT EXISTS (SELECT 1 FROM customers x WHERE x.id = {alias}.customer_id "
               "AND x.deleted_at IS NOT NULL)")
    return f"FROM {source.name} {alias} {g.joins} WHERE {_where([*extra, *rows, deleted])}"


def _customers(st: Statement, ask: Ask) -> str:
    """The condition on a live customer ``c`` that the viewer may count."""
    reach = ask.scope
    return _where(["c.deleted_at IS NULL", scopes.condition(st, reach.customers, CUSTOMERS.department, CUSTOMERS.owner),
                   *(scopes.condition(st, r, CUSTOMERS.department, CUSTOMERS.owner) for r in reach.rows)])


def _live_customers(st: Statement, ask: Ask) -> str:
    """The customers the viewer may count, as a derived table ``(SELECT ... FROM customers c WHERE ...)``."""
    return f"(SELECT c.id, c.department_id, c.owner_id, c.segment, c.tier, c.created_at FROM customers c WHERE {_customers(st, ask)})"


def _opened(st: Statement, ask: Ask) -> str:
    assert ask.period is not None
    return f"t.created_at >= {st.moment(ask.period.start)} AND t.created_at < {st.moment(ask.period.end)}"


def _tickets(st: Statement, ask: Ask, g: Grouping, extra: str = "") -> str:
    """FROM ... WHERE of tickets opened in the period that the viewer may count."""
    return _counted(st, ask, TICKETS, g, _opened(st, ask), *([extra] if extra else []))


def _shares(g: Grouping, found: list[dict[str, Any]]) -> list[Row]:
    """Counts with the total of all groups as denominator (a group's share)."""
    total = sum(_int(row["n"]) for row in found)
    return _rows(g, found, lambda row: (float(_int(row["n"])), _int(row["n"]), total))


# --- the definitions --------------------------------------------------------------------------------------

async def ticket_volume(st: Statement, ask: Ask) -> list[Row]:
    g = grouping(st, TICKETS, ask.dimension)
    return _shares(g, await st.rows(f"SELECT {g.select}COUNT(*) AS n {_tickets(st, ask, g)} {g.group_by}"))


async def sla_compliance(st: Statement, ask: Ask) -> list[Row]:
    g = grouping(st, TICKETS, ask.dimension)
    found = await st.rows(
        f"SELECT {g.select}COUNT(*) AS opened, "
        "SUM(CASE WHEN t.resolved_at IS NOT NULL AND t.resolved_at <= t.resolution_due_at THEN 1 ELSE 0 END) AS within "
        f"{_tickets(st, ask, g)} {g.group_by}"
    )
    return _rows(g, found, lambda r: (ratio(_int(r["within"]), _int(r["opened"]), 100, 2), _int(r["within"]), _int(r["opened"]))
                 if _int(r["opened"]) else None)


async def satisfaction(st: Statement, ask: Ask) -> list[Row]:
    g = grouping(st, TICKETS, ask.dimension)
    found = await st.rows(
        f"SELECT {g.select}COUNT(*) AS rated, SUM(t.satisfaction) AS total "
        f"{_tickets(st, ask, g, 't.satisfaction IS NOT NULL')} {g.group_by}"
    )
    return _rows(g, found, lambda r: (ratio(_int(r["total"]), _int(r["rated"]), 1, 3), _int(r["total"]), _int(r["rated"]))
                 if _int(r["rated"]) else None)


async def first_response_time(st: Statement, ask: Ask) -> list[Row]:
    # The median in one portable statement: number each group's durations in order, keep the middle
    # row (odd count) or the two middle rows (even count: their mean), i.e. rows (n+1)/2 and (n+2)/2
    # in integer division. SQLite has no percentile_cont; window functions exist on both.
    g = grouping(st, TICKETS, ask.dimension)
    seconds = f"{st.epoch_seconds('t.first_responded_at')} - {st.epoch_seconds('t.created_at')}"
    found = await st.rows(
        f"WITH responded AS (SELECT {g.select}{seconds} AS secs "
        f"{_tickets(st, ask, g, 't.first_responded_at IS NOT NULL')}), "
        f"ranked AS (SELECT r.*, ROW_NUMBER() OVER ({g.partition('r')} ORDER BY r.secs) AS rn, "
        f"COUNT(*) OVER ({g.partition('r')}) AS n FROM responded r) "
        f"SELECT {g.outer_select('m')}SUM(m.secs) AS middle_sum, COUNT(*) AS middles, MAX(m.n) AS n "
        f"FROM ranked m WHERE m.rn IN ((m.n + 1) / 2, (m.n + 2) / 2) {g.outer_group_by('m')}"
    )
    return _rows(g, found, lambda r: (ratio(_int(r["middle_sum"]), _int(r["middles"]) * 60, 1, 2), None, _int(r["n"]))
                 if _int(r["middles"]) else None)


async def interaction_volume(st: Statement, ask: Ask) -> list[Row]:
    assert ask.period is not None
    g = grouping(st, INTERACTIONS, ask.dimension)
    found = await st.rows(
        f"SELECT {g.select}COUNT(*) AS n "
        f"{_counted(st, ask, INTERACTIONS, g, f'i.occurred_at >= {st.moment(ask.period.start)}', f'i.occurred_at < {st.moment(ask.period.end)}')} "
        f"{g.group_by}"
    )
    return _shares(g, found)


async def customer_distribution(st: Statement, ask: Ask) -> list[Row]:
    g = grouping(st, CUSTOMERS, ask.dimension)
    found = await st.rows(
        f"SELECT {g.select}COUNT(*) AS n FROM customers c {g.joins} WHERE {_customers(st, ask)} {g.group_by}"
    )
    return _shares(g, found)


async def churn_ratio(st: Statement, ask: Ask) -> list[Row]:
    # A snapshot, not a cohort: the current segment of the live customers. By department it reads
    # only the partial index of live customers (department_id, segment, ...).
    g = grouping(st, CUSTOMERS, ask.dimension)
    found = await st.rows(
        f"SELECT {g.select}COUNT(*) AS customers, SUM(CASE WHEN c.segment = 'churned' THEN 1 ELSE 0 END) AS churned "
        f"FROM customers c {g.joins} WHERE {_customers(st, ask)} {g.group_by}"
    )
    return _rows(g, found, lambda r: (ratio(_int(r["churned"]), _int(r["customers"]), 1, 4), _int(r["churned"]), _int(r["customers"]))
                 if _int(r["customers"]) else None)


async def churn_rate(st: Statement, ask: Ask) -> list[Row]:
    # One cohort per bucket: the whole period, or each calendar month of it (MONTH). A customer is in a
    # bucket's cohort when its segment just before the bucket starts was EXISTING, i.e. one of its
    # changes to EXISTING is the latest before the start: that change is before the start and the next
    # one (by at, then id) is not (a change at the very start belongs to the bucket). It churned when it
    # has a change to CHURNED inside the bucket. All set-based: spans of segment history (LEAD), range
    # joins on a handful of buckets, no lookup per customer.
    assert ask.period is not None
    buckets = ask.period.months() if ask.dimension == D.MONTH else [("all", ask.period.start, ask.period.end)]
    values = ", ".join(f"({st.text(key)}, {st.moment(start)}, {st.moment(end)})" for key, start, end in buckets)
    g = grouping(st, CUSTOMERS, ask.dimension, value="b.bkey" if ask.dimension == D.MONTH else None)
    found = await st.rows(
        f"WITH buckets (bkey, b_from, b_to) AS (VALUES {values}), "
        "spans AS (SELECT h.customer_id, h.to_segment, h.at AS since, "
        "LEAD(h.at) OVER (PARTITION BY h.customer_id ORDER BY h.at, h.id) AS until FROM customer_segment_changes h "
        f"WHERE h.customer_id IN (SELECT x.id FROM {_live_customers(st, ask)} x)), "
        "churns AS (SELECT DISTINCT b.bkey, h.customer_id FROM buckets b JOIN customer_segment_changes h "
        "ON h.to_segment = 'churned' AND h.at >= b.b_from AND h.at < b.b_to), "
        f"cohort AS (SELECT {g.select}CASE WHEN e.customer_id IS NULL THEN 0 ELSE 1 END AS churned "
        "FROM buckets b JOIN spans s ON s.to_segment = 'existing' AND s.since < b.b_from "
        "AND (s.until IS NULL OR s.until >= b.b_from) "
        f"JOIN {_live_customers(st, ask)} c ON c.id = s.customer_id {g.joins} "
        "LEFT JOIN churns e ON e.bkey = b.bkey AND e.customer_id = c.id) "
        f"SELECT {g.outer_select('k')}SUM(k.churned) AS churned, COUNT(*) AS existing "
        f"FROM cohort k {g.outer_group_by('k')}"
    )
    return _rows(g, found, lambda r: (ratio(_int(r["churned"]), _int(r["existing"]), 100, 2), _int(r["churned"]), _int(r["existing"]))
                 if _int(r["existing"]) else None)


# --- the catalogue ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    name: str
    definition: str
    source: Source
    dimensions: tuple[Dimension, ...]
    compute: Callable[[Statement, Ask], Awaitable[list[Row]]]
    needs_period: bool = True
    needs_dimension: bool = False  # shares of one group say nothing

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables it reads (their data versions key its cache): always customers (scope, groups)."""
        return tuple(sorted({"customers", self.source.name}))


_TICKET_DIMS = (D.DEPARTMENT, D.AGENT, D.SEGMENT, D.TIER, D.CATEGORY, D.PRIORITY, D.MONTH)
_ROUNDING = "Rounded half up"

METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("churnRate",
           "churn rate (%) = 100 × customers that became CHURNED in [from, to) / customers that were EXISTING at "
           "its start. A customer's segment at the start is the to-segment of its latest segment change before "
           "`from` (a change at `from` belongs to the period); 'became CHURNED' = a change to CHURNED with "
           "from <= at < to. Only customers counted in the denominator count in the numerator. Live customers, "
           "grouped by their current department, owner or tier; MONTH makes each calendar month (UTC) of the "
           f"period its own cohort. {_ROUNDING} to 2 decimals.",
           CUSTOMERS, (D.DEPARTMENT, D.AGENT, D.TIER, D.MONTH), churn_rate),
    Metric("satisfaction",
           "average satisfaction = sum of satisfaction (CSAT 1..5) / number of rated tickets, over the tickets "
           "opened in [from, to) (from <= created_at < to) that have a satisfaction; unrated tickets are left "
           f"out. {_ROUNDING} to 3 decimals.",
           TICKETS, _TICKET_DIMS, satisfaction),
    Metric("slaCompliance",
           "SLA compliance (%) = 100 × tickets opened in [from, to) with resolved_at not null and resolved_at <= "
           "resolution due time (resolutionDueAt) / tickets opened in [from, to); an unresolved ticket is not "
           f"within SLA. {_ROUNDING} to 2 decimals.",
           TICKETS, _TICKET_DIMS, sla_compliance),
    Metric("ticketVolume",
           "ticket volume = tickets opened in [from, to) (from <= created_at < to). Numerator = the group's "
           "count, denominator = the count over all groups.",
           TICKETS, _TICKET_DIMS, ticket_volume),
    Metric("firstResponseTime",
           "first response time = median, in minutes, of (first response - opening) over the tickets opened "
           "in [from, to) that have a first response (timestamps truncated to the second; for an even count "
           f"the mean of the two middle values). {_ROUNDING} to 2 decimals. No numerator (a median is not a "
           "ratio); denominator = the number of responded tickets.",
           TICKETS, _TICKET_DIMS, first_response_time),
    Metric("customerDistribution",
           "customer distribution = live customers now, per group. Numerator = the group's count, "
           "denominator = all customers counted.",
           CUSTOMERS, (D.DEPARTMENT, D.AGENT, D.SEGMENT, D.TIER, D.MONTH), customer_distribution, needs_period=False,
           needs_dimension=True),
    Metric("churnRatio",
           "churn ratio = live customers whose segment is CHURNED now / all live customers now, per group (a "
           "snapshot: no period). Numerator = churned customers, denominator = customers. Grouped by the "
           f"customer's department, owner or tier. {_ROUNDING} to 4 decimals (a fraction, not a percent).",
           CUSTOMERS, (D.DEPARTMENT, D.AGENT, D.TIER), churn_ratio, needs_period=False),
    Metric("interactionVolume",
           "interaction volume = interactions that occurred in [from, to) (from <= occurred_at < to), grouped "
           "by the customer's department, segment or tier, the agent who logged them, the channel, or the "
           "month. Numerator = the group's count, denominator = the count over all groups.",
           INTERACTIONS, (D.DEPARTMENT, D.AGENT, D.SEGMENT, D.TIER, D.CHANNEL, D.MONTH), interaction_volume),
)}
