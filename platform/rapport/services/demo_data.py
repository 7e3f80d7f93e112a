"""Deterministic demo data: five departments, persona agents, ~500 customers, interactions and tickets.

``seed_demo()`` fills an empty database (one without departments) in a single transaction, and does
nothing when a department exists already.

Determinism: every random choice comes from ``random.Random(SEED)``, drawn in a fixed order, so names,
emails, phones, segments, statuses... are the same on every run and on every backend. Timestamps are
offsets ("this long ago") from ``now``, which defaults to today's midnight UTC so the demo always looks
recent; no random choice depends on ``now``, so two runs with the same ``now`` give identical rows.

Ids are explicit (1..N per table; agents after any agent already there) so rows can refer to each other
without reading ids back; on PostgreSQL the id sequences are moved past them afterwards.

tortoise (1.1) notes: ``bulk_create`` keeps explicit ``auto_now_add`` values (``created_at``) but always
overwrites ``auto_now`` ones (``updated_at``) with the wall clock, so those are set by an UPDATE at the
end; a primary key is only inserted when passed to the model constructor (``obj.id = 5`` afterwards is
silently dropped), and foreign keys are passed as ``*_id`` since unsaved instances are refused.
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import phonenumbers
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from rapport.auth.actor import RoleGrant
from rapport.auth.grants import grant
from rapport.models import (
    Agent, Customer, CustomerSegment, CustomerSegmentChange, CustomerTier, Department, Interaction,
    InteractionChannel, InteractionDirection, Ticket, TicketActivity, TicketActivityKind, TicketPriority, TicketStatus,
)
from rapport.services import data_versions
from rapport.services import demo_vocabulary as vocab
from rapport.services.counters import TICKET_NUMBER, set_value

SEED = 20250101
CUSTOMERS, INTERACTIONS, TICKETS = 500, 3000, 800
OWN_CUSTOMERS = 12  # customers with phone and email owned by each of sales.rep and support.rep
HOUR, DAY = 3600.0, 86400.0
AGENT_EMAIL_DOMAIN = "demo.example.com"

K = TypeVar("K")
Row = dict[str, Any]

SEGMENTS = {CustomerSegment.POTENTIAL: 35, CustomerSegment.EXISTING: 50, CustomerSegment.CHURNED: 15}
TIERS = {
    CustomerSegment.POTENTIAL: {CustomerTier.POTENTIAL: 90, CustomerTier.ORDINARY: 10},
    CustomerSegment.EXISTING: {CustomerTier.HIGH: 30, CustomerTier.ORDINARY: 70},
    CustomerSegment.CHURNED: {CustomerTier.ORDINARY: 80, CustomerTier.HIGH: 5, CustomerTier.POTENTIAL: 15},
}
CHANNELS = {
    InteractionChannel.CALL: 30, InteractionChannel.EMAIL: 35, InteractionChannel.MEETING: 10,
    InteractionChannel.CHAT: 10, InteractionChannel.SMS: 5, InteractionChannel.VISIT: 5, InteractionChannel.OTHER: 5,
}
TIMED_CHANNELS = {InteractionChannel.CALL, InteractionChannel.MEETING, InteractionChannel.VISIT}
STATUSES = {TicketStatus.NEW: 8, TicketStatus.OPEN: 15, TicketStatus.PENDING: 10,
            TicketStatus.RESOLVED: 27, TicketStatus.CLOSED: 40}
PRIORITIES = {TicketPriority.LOW: 20, TicketPriority.NORMAL: 50, TicketPriority.HIGH: 22, TicketPriority.URGENT: 8}
# priority -> (first response, resolution) in hours, the "default" SLA policy
SLA_HOURS = {TicketPriority.URGENT: (1, 4), TicketPriority.HIGH: (4, 24),
             TicketPriority.NORMAL: (8, 72), TicketPriority.LOW: (24, 168)}
SATISFACTION = {1: 5, 2: 7, 3: 15, 4: 33, 5: 40}
CLASSIFICATION_REASONS = [{"rule": "demo.seed", "plugin": "rapport", "explanation": "set by the demo data"}]


@dataclass(frozen=True)
class DemoSummary:
    departments: int
    agents: int
    customers: int
    interactions: int
    tickets: int
    created: bool


async def seed_demo(*, now: datetime | None = None) -> DemoSummary:
    """Fill an empty database with the demo data; return what the database holds (``created`` = added now)."""
    now = _reference_now(now)
    async with in_transaction() as conn:
        if await Department.all().using_db(conn).exists():
            return await _summary(conn)
        rng = random.Random(SEED)
        departments = _departments(now)
        dept_ids = {row["code"]: row["id"] for row in departments}
        agents, grants = _agents(now, dept_ids, await _max_id(conn, Agent))
        customers = _customers(rng, now, dept_ids, agents)
        interactions = _interactions(rng, now, customers, agents)
        tickets, activities = _tickets(rng, now, customers, agents, dept_ids["support"])
        history = _segment_history(now, customers)
        for model, rows in ((Department, departments), (Agent, agents), (Customer, customers),
                            (Interaction, interactions), (Ticket, tickets), (TicketActivity, activities),
                            (CustomerSegmentChange, history)):
            await model.bulk_create([model(**row) for row in rows], using_db=conn)
        await data_versions.touch(conn, *data_versions.TABLES)  # reports cached over the empty database
        for subject, role_grant in grants:
            await grant(subject, role_grant)
        await set_value(conn, TICKET_NUMBER, len(tickets))  # new tickets continue after the demo's
        await _finish(conn)
    return DemoSummary(len(departments), len(agents), len(customers), len(interactions), len(tickets), True)


def _reference_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


async def _summary(conn: BaseDBAsyncClient) -> DemoSummary:
    counts = [await model.all().using_db(conn).count() for model in (Department, Agent, Customer, Interaction, Ticket)]
    return DemoSummary(*counts, created=False)


async def _max_id(conn: BaseDBAsyncClient, model: type[Model]) -> int:
    last = await model.all().using_db(conn).order_by("-id").first()
    return last.pk if last else 0


async def _finish(conn: BaseDBAsyncClient) -> None:
    """Set the ``auto_now`` columns bulk_create overwrote, and (PostgreSQL) move the id sequences on."""
    await conn.execute_query("UPDATE customers SET updated_at = COALESCE(deleted_at, created_at)")
    await conn.execute_query(
        "UPDATE tickets SET updated_at = (SELECT MAX(a.at) FROM ticket_activities a WHERE a.ticket_id = tickets.id)"
    )
    if conn.capabilities.dialect == "postgres":
        for model in (Department, Agent, Customer, Interaction, Ticket, TicketActivity, CustomerSegmentChange):
            table = model._meta.db_table
            await conn.execute_query(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )


# ---------------------------------------------------------------- helpers


def _pick(rng: random.Random, weights: dict[K, int]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ascii(text: str) -> str:
    """Lower-case ASCII letters for an e-mail address: pinyin for Chinese, accents dropped."""
    text = "".join(vocab.PINYIN.get(ch, ch) for ch in text).replace("ø", "o").replace("ß", "ss")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if ch.isascii() and ch.isalnum())


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _full_name(given: str, family: str) -> str:
    return family + given if _is_cjk(family) else f"{given} {family}"


def _fill(rng: random.Random, pattern: str) -> str:
    """``#`` = digit, ``N`` = digit 2..9, ``@`` = upper-case letter, anything else as is."""
    pools = {"#": "0123456789", "N": "23456789", "@": "ABCDEFGHJKLMNPRSTUWXYZ"}
    return "".join(rng.choice(pools[ch]) if ch in pools else ch for ch in pattern)


def _phone(rng: random.Random, locale: vocab.Locale, used: set[str]) -> str:
    while True:
        number = _fill(rng, rng.choice(locale.phones))
        parsed = phonenumbers.parse(number)
        if (number not in used and phonenumbers.is_valid_number(parsed)
                and phonenumbers.region_code_for_number(parsed) == locale.country):
            used.add(number)
            return number


# ---------------------------------------------------------------- entities


def _departments(now: datetime) -> list[Row]:
    created = now - timedelta(days=1000)
    return [{"id": i, "code": code, "name": name, "created_at": created}
            for i, (code, name) in enumerate(vocab.DEPARTMENTS, start=1)]


def _agents(now: datetime, dept_ids: dict[str, int], id_base: int) -> tuple[list[Row], list[tuple[str, RoleGrant]]]:
    people = [(email, given, family, dept, True, role) for email, given, family, dept, role in vocab.PERSONAS]
    people += [(f"{_ascii(given)}.{_ascii(family)}@{AGENT_EMAIL_DOMAIN}", given, family, dept, active, f"agent@{dept}")
               for given, family, dept, active in vocab.AGENTS]
    agents, grants = [], []
    for i, (email, given, family, dept, active, role) in enumerate(people):
        agents.append({"id": id_base + i + 1, "email": email, "name": _full_name(given, family),
                       "department_id": dept_ids[dept] if dept else None, "active": active,
                       "created_at": now - timedelta(days=900 - 10 * i)})
        grants.append((f"user:{email}", RoleGrant.parse(role)))
    return agents, grants


def _owners(agents: list[Row]) -> dict[int, list[int]]:
    """Active agents' ids by department id."""
    by_dept: dict[int, list[int]] = defaultdict(list)
    for agent in agents:
        if agent["active"] and agent["department_id"]:
            by_dept[agent["department_id"]].append(agent["id"])
    return by_dept


def _customers(rng: random.Random, now: datetime, dept_ids: dict[str, int], agents: list[Row]) -> list[Row]:
    owners = _owners(agents)
    persona = {agent["email"].split("@")[0]: agent["id"] for agent in agents}
    forced = [("sales", persona["sales.rep"])] * OWN_CUSTOMERS + [("support", persona["support.rep"])] * OWN_CUSTOMERS
    ages = sorted((rng.uniform(5, 600) * DAY for _ in range(CUSTOMERS)), reverse=True)  # ids in creation order
    locale_weights = {locale: locale.weight for locale in vocab.LOCALES}
    phones: set[str] = set()
    customers = []
    for i, age in enumerate(ages, start=1):
        if i <= len(forced):
            dept, owner = forced[i - 1]
        else:
            dept = _pick(rng, vocab.DEPARTMENT_WEIGHTS)
            owner = None if rng.random() < 0.04 else rng.choice(owners[dept_ids[dept]])
        contact = i <= len(forced)
        loc = _pick(rng, locale_weights)
        given, family = rng.choice(loc.given), rng.choice(loc.family)
        segment = _pick(rng, SEGMENTS)
        created = now - timedelta(seconds=round(age))
        city, region, postal = rng.choice(loc.cities)
        has_address = rng.random() < 0.85
        deleted = None if contact or rng.random() > 0.02 else created + timedelta(seconds=round(rng.uniform(0, age)))
        customers.append({
            "id": i, "name": _full_name(given, family),
            "email": f"{_ascii(given)}.{_ascii(family)}.{i}@{rng.choice(vocab.EMAIL_DOMAINS)}"
            if contact or rng.random() < 0.92 else None,
            "phone": _phone(rng, loc, phones) if contact or rng.random() < 0.8 else None,
            "company": rng.choice(loc.companies) if rng.random() < 0.6 else None,
            "title": rng.choice(loc.titles) if rng.random() < 0.5 else None,
            "address_line1": loc.line1.format(street=rng.choice(loc.streets), number=rng.randint(1, 250))
            if has_address else None,
            "address_city": city if has_address else None, "address_region": region if has_address else None,
            "address_postal_code": _fill(rng, postal) if has_address else None,
            "address_country": loc.country if has_address else None,
            "segment": segment, "tier": _pick(rng, TIERS[segment]),
            "tags": sorted(rng.sample(vocab.TAGS, rng.choice((0, 1, 1, 2, 3)))),
            "owner_id": owner, "department_id": dept_ids[dept], "custom": {},
            "classification": {"classifiedAt": created.isoformat(), "reasons": CLASSIFICATION_REASONS},
            "last_interaction_at": None, "version": 1, "deleted_at": deleted, "created_at": created,
        })
    return customers


def _segment_history(now: datetime, customers: list[Row]) -> list[Row]:
    """Each customer's segment changes, consistent with its segment now: created POTENTIAL; EXISTING
    (and CHURNED) ones became EXISTING later, and CHURNED ones churned after that, before ``now``.

    Drawn from a generator of its own, so the other demo rows do not depend on it."""
    rng = random.Random(SEED + 1)
    seg = CustomerSegment
    history = []
    for customer in customers:
        created, segment = customer["created_at"], customer["segment"]
        steps = [(None, seg.POTENTIAL, created)]
        if segment in (seg.EXISTING, seg.CHURNED):
            became = created + timedelta(seconds=round(rng.uniform(0.05, 0.4) * (now - created).total_seconds()))
            steps.append((seg.POTENTIAL, seg.EXISTING, became))
            if segment == seg.CHURNED:
                left = became + timedelta(seconds=round(rng.uniform(0.2, 0.95) * (now - became).total_seconds()))
                steps.append((seg.EXISTING, seg.CHURNED, left))
        history += [{"customer_id": customer["id"], "department_id": customer["department_id"], "from_segment": old,
                     "to_segment": new, "at": at, "rule": "demo.seed", "plugin": "rapport"} for old, new, at in steps]
    history.sort(key=lambda row: (row["at"], row["customer_id"]))
    return [{"id": i, **row} for i, row in enumerate(history, start=1)]


def _interactions(rng: random.Random, now: datetime, customers: list[Row], agents: list[Row]) -> list[Row]:
    """Interactions of live customers; sets their ``last_interaction_at``."""
    owners = _owners(agents)
    live = [c for c in customers if c["deleted_at"] is None]
    drafts = []
    for _ in range(INTERACTIONS):
        customer = rng.choice(live)
        age = rng.uniform(0, min(365 * DAY, (now - customer["created_at"]).total_seconds()))
        colleagues = owners[customer["department_id"]]
        agent = customer["owner_id"] if customer["owner_id"] and rng.random() < 0.7 else rng.choice(colleagues)
        channel = _pick(rng, CHANNELS)
        duration = rng.randint(60, 5400) if channel in TIMED_CHANNELS else None
        body = " ".join(rng.sample(vocab.SENTENCES, rng.randint(1, 2)))
        occurred = now - timedelta(seconds=round(age))
        drafts.append({"customer_id": customer["id"], "agent_id": agent, "ticket_id": None, "channel": channel,
                       "direction": rng.choice(list(InteractionDirection)),
                       "subject": rng.choice(vocab.INTERACTION_SUBJECTS), "body": body, "occurred_at": occurred,
                       "duration_seconds": duration, "custom": {}, "created_at": occurred})
        if customer["last_interaction_at"] is None or occurred > customer["last_interaction_at"]:
            customer["last_interaction_at"] = occurred
    drafts.sort(key=lambda row: row["occurred_at"])
    return [{"id": i, **row} for i, row in enumerate(drafts, start=1)]


def _tickets(rng: random.Random, now: datetime, customers: list[Row], agents: list[Row],
             support_id: int) -> tuple[list[Row], list[Row]]:
    """Tickets numbered in creation order, and their activities (ids in time order)."""
    owners = _owners(agents)
    live = [c for c in customers if c["deleted_at"] is None]  # oldest first
    drafts = [_ticket(rng, now, live, owners, support_id) for _ in range(TICKETS)]
    drafts.sort(key=lambda draft: draft[0]["created_at"])
    tickets, activities = [], []
    for i, (ticket, steps) in enumerate(drafts, start=1):
        tickets.append({"id": i, "number": f"T-{i:06d}", **ticket, "version": len(steps)})
        activities += [{"ticket_id": i, **step} for step in steps]
    activities.sort(key=lambda row: (row["at"], row["ticket_id"]))
    return tickets, [{"id": i, **row} for i, row in enumerate(activities, start=1)]


def _ticket(rng: random.Random, now: datetime, live: list[Row], owners: dict[int, list[int]],
            support_id: int) -> tuple[Row, list[Row]]:
    status, priority = _pick(rng, STATUSES), _pick(rng, PRIORITIES)
    response_due, resolution_due = (hours * HOUR for hours in SLA_HOURS[priority])
    # Offsets in seconds after creation: first response, resolution (~75% within the SLA), close.
    responded = response_due * (rng.uniform(0.05, 0.9) if rng.random() < 0.85 else rng.uniform(1.1, 2.0))
    resolved = resolution_due * (rng.uniform(0.1, 0.95) if rng.random() < 0.75 else rng.uniform(1.05, 2.5))
    resolved = max(resolved, responded + 600)
    closed = resolved + rng.uniform(1, 7) * DAY
    age = {  # how long ago it was created
        TicketStatus.NEW: rng.uniform(0.02, 1.5) * response_due,
        TicketStatus.OPEN: responded + rng.uniform(0.05, 1.3) * resolution_due,
        TicketStatus.PENDING: responded + rng.uniform(0.05, 1.3) * resolution_due,
        TicketStatus.RESOLVED: resolved + rng.uniform(0.1, 5) * DAY,
        TicketStatus.CLOSED: closed + rng.uniform(0, 300) * DAY,
    }[status]
    customer = rng.choice([c for c in live if (now - c["created_at"]).total_seconds() > age] or live[:1])
    department = customer["department_id"] if rng.random() < 0.9 else support_id
    assignee = None if status == TicketStatus.NEW and rng.random() < 0.5 else rng.choice(owners[department])
    created = now - timedelta(seconds=round(age))

    def at(offset: float) -> datetime:
        return created + timedelta(seconds=round(offset))

    def step(kind: TicketActivityKind, offset: float, actor: int | None = assignee, **extra: Any) -> Row:
        return {"kind": kind, "actor_id": actor, "at": at(offset), "note": None, "from_status": None,
                "to_status": None, "minutes_spent": None, "data": {}, **extra}

    category = rng.choice(vocab.TICKET_CATEGORIES)
    end = resolved if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else age
    path = _status_path(rng, status, responded, end, closed)
    steps = [step(TicketActivityKind.CREATED, 0, data={"priority": priority.value, "category": category})]
    steps += [step(TicketActivityKind.STATUS_CHANGED, offset, from_status=old, to_status=new)
              for old, new, offset in path]
    if status != TicketStatus.NEW:
        steps += [step(TicketActivityKind.COMMENT, rng.uniform(responded, end), note=rng.choice(vocab.TICKET_COMMENTS))
                  for _ in range(rng.randint(0, 3))]
        steps += [step(TicketActivityKind.WORK_LOG, rng.uniform(responded, end), minutes_spent=rng.randint(5, 120),
                       note=rng.choice(vocab.WORK_LOGS)) for _ in range(rng.randint(0, 2))]
    response_breached = (responded if status != TicketStatus.NEW else age) > response_due
    resolution_breached = end > resolution_due
    for sla, breached, due in (("first_response", response_breached, response_due),
                               ("resolution", resolution_breached, resolution_due)):
        if breached:
            steps.append(step(TicketActivityKind.SLA_BREACHED, due, actor=None, data={"sla": sla}))
    satisfaction = comment = None
    if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and rng.random() < 0.8:
        satisfaction = _pick(rng, SATISFACTION)
        comment = rng.choice(vocab.SATISFACTION_COMMENTS) if rng.random() < 0.4 else None
        rated = rng.uniform(resolved, closed if status == TicketStatus.CLOSED else age)
        steps.append(step(TicketActivityKind.RATED, rated, actor=None, note=comment,
                          data={"satisfaction": satisfaction}))
    steps.sort(key=lambda row: row["at"])
    first_response = at(responded) if status != TicketStatus.NEW and rng.random() < 0.9 else None
    ticket = {
        "subject": rng.choice(vocab.TICKET_SUBJECTS[category]),
        "description": " ".join(rng.sample(vocab.TICKET_DESCRIPTIONS, rng.randint(1, 2))),
        "customer_id": customer["id"], "department_id": department, "assignee_id": assignee,
        "status": status, "priority": priority, "category": category, "tags": [], "custom": {},
        "sla_policy": "default", "first_response_due_at": at(response_due), "resolution_due_at": at(resolution_due),
        "first_responded_at": first_response,
        "resolved_at": at(resolved) if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else None,
        "closed_at": at(closed) if status == TicketStatus.CLOSED else None,
        "first_response_breached_at": at(response_due) if response_breached else None,
        "resolution_breached_at": at(resolution_due) if resolution_breached else None,
        "satisfaction": satisfaction, "satisfaction_comment": comment, "created_at": created,
    }
    return ticket, steps


def _status_path(rng: random.Random, status: TicketStatus, responded: float, end: float,
                 closed: float) -> list[tuple[TicketStatus, TicketStatus, float]]:
    """The status changes (from, to, offset) that led to ``status``."""
    s = TicketStatus
    if status == s.NEW:
        return []
    path = [(s.NEW, s.OPEN, responded)]
    if status == s.PENDING:
        return [*path, (s.OPEN, s.PENDING, rng.uniform(responded, end))]
    if status == s.OPEN:
        return path
    if rng.random() < 0.3:  # waited for the customer on the way
        wait, back = sorted(rng.uniform(responded, end) for _ in range(2))
        path += [(s.OPEN, s.PENDING, wait), (s.PENDING, s.OPEN, back)]
    path.append((s.OPEN, s.RESOLVED, end))
    if status == s.CLOSED:
        path.append((s.RESOLVED, s.CLOSED, closed))
    return path
