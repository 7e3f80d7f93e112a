"""A small dataset for the reports, every number of which is worked out on paper below.

Period P = [2024-01-01T00:00Z, 2024-04-01T00:00Z). Personas from ``tests.support.personas.cast``:
rep = sales.rep (agent@sales), rep2 = sales.other (agent@sales), lead (manager@sales), support =
support.rep (agent@support), analyst (analyst@*), admin.

Customers (segment history: "potential 2023-01-01" = a change to POTENTIAL at that time; the first
change of each is its creation, from no segment):

    id   dept     owner    tier      history                                                   now
    C1   sales    rep      HIGH      potential 2023-01-01, existing 2023-06-01, churned 2024-02-10  churned
    C2   sales    rep      ORDINARY  potential 2023-01-01, existing 2023-03-01                      existing
    C3   sales    rep2     ORDINARY  potential 2023-01-01, existing 2023-05-01, churned 2024-01-01T00:00 (= from)
    C4   sales    rep2     ORDINARY  potential 2023-01-01, existing 2023-05-01, churned 2024-04-01T00:00 (= to)
    C5   sales    rep      POTENTIAL potential 2023-01-01, existing 2024-02-01, churned 2024-03-01
    C6   sales    rep      ORDINARY  potential 2023-01-01, existing 2023-02-01, churned 2023-12-01
    C7   sales    rep      HIGH      existing 2023-01-01, churned 2024-02-01; soft-deleted: never counted
    C8   support  support  HIGH      potential 2023-04-01, existing 2023-04-02                      existing
    C9   support  -        HIGH      existing 2023-04-01, churned 2024-03-31T23:59:59               churned
    C10  support  -        ORDINARY  existing 2023-04-01                                            existing

Churn over P. Segment at the start = latest change before 2024-01-01 (a change at 2024-01-01 belongs
to P). EXISTING at the start: C1 C2 C3 C4 (sales), C8 C9 C10 (support); C5 was POTENTIAL, C6 CHURNED,
C7 is deleted. Became CHURNED in P (of those): C1, C3 (at `from`: inside), C9; not C4 (at `to`: outside).
    sales 2/4 = 50.00 %   support 1/3 = 33.33 %   all 3/7 = 42.857.. = 42.86 %
    by tier (all): HIGH C1 C8 C9 -> 2/3 = 66.67; ORDINARY C2 C3 C4 C10 -> 1/4 = 25.00
    by month (all): Jan cohort C1 C2 C3 C4 C8 C9 C10, churned C3            -> 1/7 = 14.29
                    Feb cohort C1 C2 C4 C8 C9 C10 (C5 became EXISTING at 02-01: not before), churned C1 -> 1/6 = 16.67
                    Mar cohort C2 C4 C5 C8 C9 C10, churned C5 (at 03-01) and C9  -> 2/6 = 33.33

Customer distribution (live: C1..C6, C8..C10 = 9): by segment EXISTING C2 C8 C10 = 3, CHURNED 6;
the lead (sales) sees 6: EXISTING 1, CHURNED 5; by agent rep C1 C2 C5 C6 = 4, sales.other C3 C4 = 2.

Tickets ("+30m" = first response that long after opening; "late" = resolved after the resolution due time):

    id   dept     customer  opened               resolved               sat  first resp.  priority category  assignee
    T1   sales    C1        2024-01-10 00:00     within (12h, due 24h)   5   +1800 s      HIGH     billing   rep
    T2   sales    C2        2024-02-01 00:00     late                    2   +5400 s      NORMAL   billing   rep2
    T3   sales    C2        2024-03-31 23:59:59  exactly at due: within  -   +600 s       URGENT   technical rep
    T4   sales    C1        2024-04-01 00:00     (outside P: `to`)       1   +60 s        NORMAL   billing   rep
    T5   sales    C1        2023-12-31 23:59:59  (outside P)             1   +60 s        NORMAL   billing   rep
    T6   sales    C1        2024-01-01 00:00     unresolved (inside P)   -   -            LOW      -         -
    T7   support  C8        2024-01-15 00:00     within                  4   +3600 s      NORMAL   technical support
    T8   support  C9        2024-02-15 00:00     unresolved              -   +1201 s      HIGH     billing   support
    T9   support  C2        2024-03-10 00:00     late                    3   -            LOW      -         support
    T10  sales    C8        2024-03-05 00:00     late                    4   +2400 s      NORMAL   billing   rep

The lead (manager of sales) reads sales tickets of readable (sales) customers: T1 T2 T3 T6 (T10's
customer is in support, T9 is a support ticket). The analyst reads all eight in P.
    lead:     opened 4, within T1 T3 -> 50.00 %; satisfaction (5+2)/2 = 3.500; first response 600 1800 5400 -> 30.00 min
    analyst:  opened 8, within T1 T3 T7 -> 37.50 %; satisfaction (5+2+4+3+4)/5 = 3.600;
              first response 600 1201 1800 2400 3600 5400 -> (1800+2400)/2 s = 35.00 min
    analyst by department: sales T1 T2 T3 T6 T10: 2/5 = 40.00 %, 11/3 = 3.667, 600 1800 2400 5400 -> 35.00 min
                           support T7 T8 T9:     1/3 = 33.33 %, 7/2 = 3.500, 1201 3600 -> 2400.5 s = 40.01 min
    analyst SLA by month: Jan T1 T6 T7 -> 2/3 = 66.67; Feb T2 T8 -> 0/2 = 0.00; Mar T3 T9 T10 -> 1/3 = 33.33
    analyst SLA by tier: HIGH (C1 C8 C9) T1 T6 T7 T8 T10 -> 2/5 = 40.00; ORDINARY (C2) T2 T3 T9 -> 1/3 = 33.33
    analyst satisfaction by segment: EXISTING (C2 C8) 2+4+3+4 = 13/4 = 3.250; CHURNED (C1) 5/1 = 5.000
    analyst volume by priority: LOW 2 (T6 T9), NORMAL 3 (T2 T7 T10), HIGH 2 (T1 T8), URGENT 1 (T3)
    analyst volume by category: billing 4 (T1 T2 T8 T10), technical 2 (T3 T7), none 2 (T6 T9)
    lead volume by agent: sales.other 1 (T2), sales.rep 2 (T1 T3), unassigned 1 (T6)

Interactions: I1 2024-01-05 C1 rep CALL; I2 2024-02-05 C2 rep2 EMAIL; I3 2024-03-31 23:59:59 C2 rep
EMAIL; I4 2024-04-01 00:00 C1 rep CALL (outside); I5 2024-01-01 00:00 C8 support CHAT; I6 2024-02-20
C9 no agent EMAIL; I7 2024-03-01 C7 rep CALL (deleted customer: never counted).
    analyst 5 (I1 I2 I3 I5 I6): by channel CALL 1, EMAIL 3, CHAT 1; by department sales 3, support 2
    lead 3 (I1 I2 I3)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rapport.auth.authenticate import actor_for_agent
from rapport.authz.plan import PermissionPlan, plan_for
from rapport.models import (
    Customer, CustomerSegment, CustomerSegmentChange, CustomerTier, Department, Interaction, InteractionChannel,
    InteractionDirection, Ticket, TicketPriority, TicketStatus,
)
from rapport.models import Agent
from rapport.settings import Settings
from tests.support.personas import Persona, cast

P_FROM = datetime(2024, 1, 1, tzinfo=UTC)
P_TO = datetime(2024, 4, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class PaperData:
    people: dict[str, Persona]
    customers: dict[str, Customer]
    tickets: dict[str, Ticket]


S = CustomerSegment
CUSTOMERS = {  # name: (department, owner persona, tier, history, deleted)
    "C1": ("sales", "sales", "high", [("potential", "2023-01-01"), ("existing", "2023-06-01"), ("churned", "2024-02-10")], False),
    "C2": ("sales", "sales", "ordinary", [("potential", "2023-01-01"), ("existing", "2023-03-01")], False),
    "C3": ("sales", "sales2", "ordinary", [("potential", "2023-01-01"), ("existing", "2023-05-01"), ("churned", "2024-01-01")], False),
    "C4": ("sales", "sales2", "ordinary", [("potential", "2023-01-01"), ("existing", "2023-05-01"), ("churned", "2024-04-01")], False),
    "C5": ("sales", "sales", "potential", [("potential", "2023-01-01"), ("existing", "2024-02-01"), ("churned", "2024-03-01")], False),
    "C6": ("sales", "sales", "ordinary", [("potential", "2023-01-01"), ("existing", "2023-02-01"), ("churned", "2023-12-01")], False),
    "C7": ("sales", "sales", "high", [("existing", "2023-01-01"), ("churned", "2024-02-01")], True),
    "C8": ("support", "support", "high", [("potential", "2023-04-01"), ("existing", "2023-04-02")], False),
    "C9": ("support", None, "high", [("existing", "2023-04-01"), ("churned", "2024-03-31T23:59:59")], False),
    "C10": ("support", None, "ordinary", [("existing", "2023-04-01")], False),
}
# name: (department, customer, opened, resolved offset or "due" (exactly at due) or None, due after (h),
#        satisfaction, first response (s), priority, category, assignee persona)
TICKETS = {
    "T1": ("sales", "C1", "2024-01-10", 12 * 3600, 24, 5, 1800, "high", "billing", "sales"),
    "T2": ("sales", "C2", "2024-02-01", 48 * 3600, 24, 2, 5400, "normal", "billing", "sales2"),
    "T3": ("sales", "C2", "2024-03-31T23:59:59", "due", 4, None, 600, "urgent", "technical", "sales"),
    "T4": ("sales", "C1", "2024-04-01", 3600, 24, 1, 60, "normal", "billing", "sales"),
    "T5": ("sales", "C1", "2023-12-31T23:59:59", 3600, 24, 1, 60, "normal", "billing", "sales"),
    "T6": ("sales", "C1", "2024-01-01", None, 168, None, None, "low", None, None),
    "T7": ("support", "C8", "2024-01-15", 6 * 3600, 24, 4, 3600, "normal", "technical", "support"),
    "T8": ("support", "C9", "2024-02-15", None, 72, None, 1201, "high", "billing", "support"),
    "T9": ("support", "C2", "2024-03-10", 200 * 3600, 168, 3, None, "low", None, "support"),
    "T10": ("sales", "C8", "2024-03-05", 80 * 3600, 72, 4, 2400, "normal", "billing", "sales"),
}
INTERACTIONS = [  # (occurred, customer, agent persona, channel)
    ("2024-01-05", "C1", "sales", "call"), ("2024-02-05", "C2", "sales2", "email"),
    ("2024-03-31T23:59:59", "C2", "sales", "email"), ("2024-04-01", "C1", "sales", "call"),
    ("2024-01-01", "C8", "support", "chat"), ("2024-02-20", "C9", None, "email"), ("2024-03-01", "C7", "sales", "call"),
]


async def build_paper_data(settings: Settings) -> PaperData:
    """The dataset above, written straight to the tables (timestamps exactly as on paper)."""
    people = await cast(settings)
    departments = {d.code: d for d in await Department.all()}
    customers: dict[str, Customer] = {}
    for name, (dept, owner, tier, history, deleted) in CUSTOMERS.items():
        created = at(history[0][1])
        customers[name] = customer = await Customer.create(
            name=name, department=departments[dept], owner=people[owner].agent if owner else None,
            segment=S(history[-1][0]), tier=CustomerTier(tier), created_at=created,
            deleted_at=created + timedelta(days=400) if deleted else None,
        )
        previous = None
        for segment, when in history:
            await CustomerSegmentChange.create(customer=customer, department=departments[dept], from_segment=previous,
                                               to_segment=S(segment), at=at(when), rule="test.paper")
            previous = S(segment)
    tickets: dict[str, Ticket] = {}
    for number, (dept, customer, opened, resolved, due_h, sat, first, priority, category, assignee) in TICKETS.items():
        created = at(opened)
        due = created + timedelta(hours=due_h)
        resolved_at = due if resolved == "due" else (created + timedelta(seconds=resolved) if resolved is not None else None)
        tickets[number] = await Ticket.create(
            number=number, subject=number, customer=customers[customer], department=departments[dept],
            assignee=people[assignee].agent if assignee else None,
            status=TicketStatus.RESOLVED if resolved_at else TicketStatus.OPEN, priority=TicketPriority(priority),
            category=category, first_response_due_at=created + timedelta(hours=1), resolution_due_at=due,
            first_responded_at=created + timedelta(seconds=first) if first is not None else None,
            resolved_at=resolved_at, satisfaction=sat, created_at=created,
        )
    for occurred, customer, agent, channel in INTERACTIONS:
        await Interaction.create(customer=customers[customer], agent=people[agent].agent if agent else None,
                                 channel=InteractionChannel(channel), direction=InteractionDirection.OUTBOUND,
                                 subject="paper", occurred_at=at(occurred))
    return PaperData(people, customers, tickets)


async def clear_report_cache(settings: Settings) -> None:
    """Forget cached reports of this database: tests empty the tables, which restarts the data versions
    that key the cache (production never goes back in time)."""
    from rapport.services.reports.cache import cache_for

    cache, _ = cache_for(settings.redis_url, settings.database_url)
    await cache.clear()


async def plan_of(agent: Agent) -> PermissionPlan:
    actor = await actor_for_agent(agent.id)
    assert actor is not None
    return await plan_for(actor)
