"""Tickets through the API: opening (numbers, idempotency), the workflow under concurrency, SLA fields,
the service record, assignment and rating, who sees what, filters, sorting, paging and query cost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from rapport.graphql.core.ids import to_global_id
from rapport.models import Customer, Department, Interaction, Ticket, TicketActivity
from tests.support.graphql import gql
from tests.support.personas import cast
from rapport.sql_count import count_statements

TICKET = """id number subject description status priority category tags satisfaction custom version
  customer { id name } department { code } assignee { email }
  sla { policy firstResponseDueAt resolutionDueAt firstRespondedAt resolvedAt firstResponseBreached resolutionBreached remainingSeconds }
  activities { id kind actor { email } at note fromStatus toStatus minutesSpent }"""
OPEN = "mutation($input: OpenTicketInput!) { openTicket(input: $input) { ticket { " + TICKET + " } errors { code message path } } }"
TRANSITION = """mutation($id: ID!, $to: TicketStatus!, $note: String, $v: Int) {
  transitionTicket(id: $id, to: $to, note: $note, expectedVersion: $v) { ticket { id status version } errors { code message path } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateTicketInput!, $v: Int) {
  updateTicket(id: $id, input: $input, expectedVersion: $v) { ticket { id subject priority version } errors { code message path } } }"""
ASSIGN = """mutation($id: ID!, $to: ID) { assignTicket(id: $id, assignee: $to) { ticket { id assignee { email } } errors { code message path } } }"""
ADD = """mutation($id: ID!, $kind: TicketActivityKind!, $note: String!, $minutes: Int) {
  addTicketActivity(id: $id, kind: $kind, note: $note, minutesSpent: $minutes) {
    ticket { id sla { firstRespondedAt } activities { kind note minutesSpent actor { email } } } errors { code message path } } }"""
RATE = """mutation($id: ID!, $score: Int!, $comment: String) {
  rateTicket(id: $id, satisfaction: $score, comment: $comment) { ticket { id satisfaction } errors { code message path } } }"""
LIST = """
query($first: Int, $after: String, $last: Int, $before: String, $order: [TicketOrder!], $where: TicketFilter) {
  tickets(first: $first, after: $after, last: $last, before: $before, orderBy: $order, where: $where) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id number priority }
  }
}"""


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


async def customer_in(code: str, name: str = "Ann") -> Customer:
    return await Customer.create(name=name, department=await Department.get(code=code))


async def open_ticket(http, headers, on: Customer, **fields) -> dict:
    body = (await gql(http, OPEN, headers, input={"customer": gid("Customer", on.id), "subject": "Printer broken", **fields})).json()
    assert "errors" not in body, body
    return body["data"]["openTicket"]


async def call(http, query: str, headers, name: str, **variables) -> dict:
    body = (await gql(http, query, headers, **variables)).json()
    assert "errors" not in body, body
    return body["data"][name]


# ---------------------------------------------------------------- opening


async def test_open_normalizes_and_plans_the_ticket(http, people) -> None:
    customer = await customer_in("sales")
    result = await open_ticket(http, people["sales"].headers, customer, subject="  Printer \t broken ", description="  line 1\n  line 2  ",
                               priority="URGENT", category="  hardware ", tags=["Printer", "printer", " Office "], custom={"floor": 3})
    ticket = result["ticket"]
    assert result["errors"] == []
    assert ticket["number"] == "T-000001" and ticket["status"] == "NEW" and ticket["version"] == 1
    assert ticket["subject"] == "Printer broken" and ticket["description"] == "line 1\n  line 2"
    assert ticket["category"] == "hardware" and ticket["tags"] == ["printer", "office"] and ticket["custom"] == {"floor": 3}
    assert ticket["customer"] == {"id": gid("Customer", customer.id), "name": "Ann"} and ticket["department"] == {"code": "sales"}
    sla = ticket["sla"]
    created = datetime.fromisoformat(ticket["activities"][0]["at"])
    assert sla["policy"] == "default"
    assert datetime.fromisoformat(sla["firstResponseDueAt"]) - created == timedelta(hours=1)
    assert datetime.fromisoformat(sla["resolutionDueAt"]) - created == timedelta(hours=4)
    assert 0 < sla["remainingSeconds"] <= 3600 and not sla["firstResponseBreached"] and not sla["resolutionBreached"]
    assert [(a["kind"], a["actor"]["email"], a["toStatus"]) for a in ticket["activities"]] == [("CREATED", "sales.rep@example.com", "NEW")]


@pytest.mark.parametrize(
    ("fields", "code", "path"),
    [
        ({"subject": " "}, "REQUIRED", ["input", "subject"]),
        ({"subject": "s" * 301}, "INVALID", ["input", "subject"]),
        ({"category": "c" * 101}, "INVALID", ["input", "category"]),
        ({"custom": "text"}, "INVALID", ["input", "custom"]),
        ({"department": "nowhere"}, "INVALID", ["input", "department"]),
        ({"assignee": "not-an-id"}, "INVALID", ["input", "assignee"]),
        ({"customer": "Q3VzdG9tZXI6OTk5"}, "NOT_FOUND", ["input", "customer"]),  # Customer:999
    ],
)
async def test_each_open_rule_names_its_field(http, people, fields, code, path) -> None:
    customer = await customer_in("sales")
    result = await open_ticket(http, people["sales"].headers, customer, **fields)
    assert result["ticket"] is None and [(e["code"], e["path"]) for e in result["errors"]] == [(code, path)]
    assert await Ticket.all().count() == 0


async def test_thirty_concurrent_opens_are_numbered_without_gap_or_repeat(http, people) -> None:
    customer = await customer_in("sales")
    results = await asyncio.gather(*(
        gql(http, OPEN, people["sales"].headers, input={"customer": gid("Customer", customer.id), "subject": f"S{i}"}) for i in range(30)
    ))
    numbers = [r.json()["data"]["openTicket"]["ticket"]["number"] for r in results]
    assert sorted(numbers) == [f"T-{i:06d}" for i in range(1, 31)]


async def test_twenty_concurrent_identical_opens_with_a_key_open_one_ticket(http, people) -> None:
    customer = await customer_in("sales")
    fields = {"customer": gid("Customer", customer.id), "subject": "Once", "idempotencyKey": "k-1"}
    results = await asyncio.gather(*(gql(http, OPEN, people["sales"].headers, input=fields) for _ in range(20)))
    outcomes = [r.json()["data"]["openTicket"] for r in results]
    assert all(o["errors"] == [] for o in outcomes), outcomes
    assert {o["ticket"]["id"] for o in outcomes} == {outcomes[0]["ticket"]["id"]}
    assert await Ticket.all().count() == 1 and (await Ticket.first()).number == "T-000001"
    other = await open_ticket(http, people["sales"].headers, customer, subject="Another", idempotencyKey="k-1")
    assert [(e["code"], e["path"]) for e in other["errors"]] == [("INVALID", ["input", "idempotencyKey"])]
    # Keys belong to their actor: the same key from someone else is another ticket.
    theirs = await open_ticket(http, people["sales2"].headers, customer, subject="Once", idempotencyKey="k-1")
    assert theirs["ticket"]["number"] == "T-000002"


# ---------------------------------------------------------------- workflow and versions


async def test_transition_records_the_step_and_refuses_what_the_table_does_not_allow(http, people) -> None:
    headers = people["sales"].headers
    ticket = (await open_ticket(http, headers, await customer_in("sales")))["ticket"]
    ok = await call(http, TRANSITION, headers, "transitionTicket", id=ticket["id"], to="RESOLVED", note="fixed the cable", v=1)
    assert ok["errors"] == [] and ok["ticket"]["status"] == "RESOLVED" and ok["ticket"]["version"] == 2
    bad = await call(http, TRANSITION, headers, "transitionTicket", id=ticket["id"], to="PENDING")
    assert [e["code"] for e in bad["errors"]] == ["INVALID_TRANSITION"] and bad["ticket"] is None
    assert "RESOLVED" in bad["errors"][0]["message"] and "PENDING" in bad["errors"][0]["message"]
    same = await call(http, TRANSITION, headers, "transitionTicket", id=ticket["id"], to="RESOLVED")
    assert [e["code"] for e in same["errors"]] == ["INVALID_TRANSITION"]
    shown = await call(http, "query($id: ID!) { ticket(id: $id) { " + TICKET + " } }", headers, "ticket", id=ticket["id"])
    assert shown["sla"]["resolvedAt"] is not None and shown["sla"]["remainingSeconds"] is None
    step = shown["activities"][-1]
    assert (step["kind"], step["fromStatus"], step["toStatus"], step["note"]) == ("STATUS_CHANGED", "NEW", "RESOLVED", "fixed the cable")


async def test_fifty_concurrent_transitions_from_one_version_one_wins(http, people) -> None:
    headers = people["sales"].headers
    ticket = (await open_ticket(http, headers, await customer_in("sales")))["ticket"]
    targets = ["OPEN", "PENDING", "RESOLVED", "CLOSED"]
    results = await asyncio.gather(*(
        gql(http, TRANSITION, headers, id=ticket["id"], to=targets[i % 4], v=1) for i in range(50)
    ))
    outcomes = [r.json()["data"]["transitionTicket"] for r in results]
    assert sum(1 for o in outcomes if o["ticket"]) == 1
    assert sum(1 for o in outcomes if [e["code"] for e in o["errors"]] == ["CONFLICT"]) == 49
    row = await Ticket.get(id=(await Ticket.first()).id)
    assert row.version == 2 and await TicketActivity.filter(kind="status_changed").count() == 1


async def test_fifty_concurrent_updates_from_one_version_one_wins(http, people) -> None:
    headers = people["sales"].headers
    ticket = (await open_ticket(http, headers, await customer_in("sales")))["ticket"]
    results = await asyncio.gather(*(
        gql(http, UPDATE, headers, id=ticket["id"], input={"subject": f"S{i}"}, v=1) for i in range(50)
    ))
    outcomes = [r.json()["data"]["updateTicket"] for r in results]
    winners = [o["ticket"] for o in outcomes if o["ticket"]]
    assert len(winners) == 1 and sum(1 for o in outcomes if [e["code"] for e in o["errors"]] == ["CONFLICT"]) == 49
    row = await Ticket.first()
    assert (row.version, row.subject) == (2, winners[0]["subject"])


async def test_update_changes_only_what_is_given(http, people) -> None:
    headers = people["sales"].headers
    ticket = (await open_ticket(http, headers, await customer_in("sales"), category="billing", description="desc"))["ticket"]
    result = await call(http, UPDATE, headers, "updateTicket", id=ticket["id"], input={"priority": "LOW", "category": None}, v=1)
    assert result["errors"] == [] and result["ticket"]["priority"] == "LOW" and result["ticket"]["version"] == 2
    row = await Ticket.first()
    assert (row.category, row.description, row.subject) == (None, "desc", "Printer broken")
    assert row.resolution_due_at - row.created_at == timedelta(hours=168)
    bad = await call(http, UPDATE, headers, "updateTicket", id=ticket["id"], input={"subject": None})
    assert [(e["code"], e["path"]) for e in bad["errors"]] == [("REQUIRED", ["input", "subject"])]


# ---------------------------------------------------------------- SLA, record, assignment, rating


async def test_remaining_seconds_turn_negative_when_breached(http, people) -> None:
    headers = people["sales"].headers
    ticket = (await open_ticket(http, headers, await customer_in("sales"), priority="URGENT"))["ticket"]
    past = datetime.now(UTC) - timedelta(hours=2)
    await Ticket.all().update(created_at=past, first_response_due_at=past + timedelta(hours=1), resolution_due_at=past + timedelta(hours=4))
    sla = (await call(http, "query($id: ID!) { ticket(id: $id) { sla { remainingSeconds firstResponseBreached resolutionBreached } } }",
                      headers, "ticket", id=ticket["id"]))["sla"]
    assert sla["firstResponseBreached"] and not sla["resolutionBreached"]
    assert -3600 - 60 < sla["remainingSeconds"] < -3600 + 60
    await call(http, ADD, headers, "addTicketActivity", id=ticket["id"], kind="COMMENT", note="Sorry for the wait")
    sla = (await call(http, "query($id: ID!) { ticket(id: $id) { sla { remainingSeconds firstResponseBreached } } }",
                      headers, "ticket", id=ticket["id"]))["sla"]
    assert sla["firstResponseBreached"] and 2 * 3600 - 60 < sla["remainingSeconds"] <= 2 * 3600  # now toward resolution


async def test_comment_is_first_response_and_every_activity_says_who_and_how_long(http, people) -> None:
    headers = people["sales"].headers
    ticket = (await open_ticket(http, headers, await customer_in("sales")))["ticket"]
    logged = await call(http, ADD, headers, "addTicketActivity", id=ticket["id"], kind="WORK_LOG", note="checked", minutes=25)
    assert logged["errors"] == [] and logged["ticket"]["sla"]["firstRespondedAt"] is None
    answered = await call(http, ADD, headers, "addTicketActivity", id=ticket["id"], kind="COMMENT", note="On it")
    assert answered["ticket"]["sla"]["firstRespondedAt"] is not None
    assert [(a["kind"], a["note"], a["minutesSpent"], a["actor"]["email"]) for a in answered["ticket"]["activities"]] == [
        ("CREATED", None, None, "sales.rep@example.com"),
        ("WORK_LOG", "checked", 25, "sales.rep@example.com"),
        ("COMMENT", "On it", None, "sales.rep@example.com"),
    ]
    for kind, note, minutes, code, path in [
        ("ESCALATED", "x", None, "INVALID", ["kind"]), ("COMMENT", " ", None, "REQUIRED", ["note"]),
        ("WORK_LOG", "x", 1441, "INVALID", ["minutesSpent"]),
    ]:
        bad = await call(http, ADD, headers, "addTicketActivity", id=ticket["id"], kind=kind, note=note, minutes=minutes)
        assert [(e["code"], e["path"]) for e in bad["errors"]] == [(code, path)]


async def test_activities_page_after_an_activity_id(http, people) -> None:
    headers = people["sales"].headers
    ticket = (await open_ticket(http, headers, await customer_in("sales")))["ticket"]
    for i in range(4):
        await call(http, ADD, headers, "addTicketActivity", id=ticket["id"], kind="WORK_LOG", note=f"n{i}")
    query = "query($id: ID!, $after: String) { ticket(id: $id) { activities(first: 2, after: $after) { id note } } }"
    first = (await call(http, query, headers, "ticket", id=ticket["id"]))["activities"]
    second = (await call(http, query, headers, "ticket", id=ticket["id"], after=first[-1]["id"]))["activities"]
    third = (await call(http, query, headers, "ticket", id=ticket["id"], after=second[-1]["id"]))["activities"]
    assert [a["note"] for a in first + second + third] == [None, "n0", "n1", "n2", "n3"]


async def test_assignment_rules(http, people) -> None:
    ticket = (await open_ticket(http, people["sales"].headers, await customer_in("sales")))["ticket"]
    other, me = gid("Agent", people["sales2"].agent.id), gid("Agent", people["sales"].agent.id)
    refused = await call(http, ASSIGN, people["sales"].headers, "assignTicket", id=ticket["id"], to=other)
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    taken = await call(http, ASSIGN, people["sales"].headers, "assignTicket", id=ticket["id"], to=me)
    assert taken["ticket"]["assignee"] == {"email": "sales.rep@example.com"}
    given = await call(http, ASSIGN, people["lead"].headers, "assignTicket", id=ticket["id"], to=other)
    assert given["ticket"]["assignee"] == {"email": "sales.other@example.com"}
    wrong = await call(http, ASSIGN, people["lead"].headers, "assignTicket", id=ticket["id"], to=gid("Agent", people["support"].agent.id))
    assert [(e["code"], e["path"]) for e in wrong["errors"]] == [("INVALID", ["assignee"])]
    cleared = await call(http, ASSIGN, people["lead"].headers, "assignTicket", id=ticket["id"], to=None)
    assert cleared["ticket"]["assignee"] is None
    kinds = await TicketActivity.filter(kind="assigned").count()
    assert kinds == 3


async def test_rating_rules(http, people) -> None:
    headers = people["sales"].headers
    ticket = (await open_ticket(http, headers, await customer_in("sales")))["ticket"]
    early = await call(http, RATE, headers, "rateTicket", id=ticket["id"], score=5)
    assert [e["code"] for e in early["errors"]] == ["INVALID_TRANSITION"]
    await call(http, TRANSITION, headers, "transitionTicket", id=ticket["id"], to="RESOLVED")
    for score in (0, 6):
        bad = await call(http, RATE, headers, "rateTicket", id=ticket["id"], score=score)
        assert [(e["code"], e["path"]) for e in bad["errors"]] == [("INVALID", ["satisfaction"])]
    rated = await call(http, RATE, headers, "rateTicket", id=ticket["id"], score=4, comment="fast")
    assert rated["errors"] == [] and rated["ticket"]["satisfaction"] == 4
    assert await TicketActivity.filter(kind="rated").count() == 1


# ---------------------------------------------------------------- who sees what


async def test_a_sales_agent_can_neither_see_nor_change_a_support_ticket(http, people) -> None:
    sales_customer = await customer_in("sales", "Ann")
    support_customer = await customer_in("support", "Bob")
    on_support = (await open_ticket(http, people["support"].headers, support_customer))["ticket"]
    # A support ticket of a sales customer: the customer is readable, the ticket is not.
    on_sales_customer = (await open_ticket(http, people["support"].headers, sales_customer, department="support"))["ticket"]
    mine = (await open_ticket(http, people["sales"].headers, sales_customer))["ticket"]
    headers = people["sales"].headers
    for ticket in (on_support, on_sales_customer):
        read = (await gql(http, "query($id: ID!, $n: String) { ticket(id: $id) { id } byNumber: ticket(number: $n) { id } node(id: $id) { id } }",
                          headers, id=ticket["id"], n=ticket["number"])).json()
        assert read["data"] == {"ticket": None, "byNumber": None, "node": None}
        for query, name, variables in [
            (TRANSITION, "transitionTicket", {"to": "OPEN"}), (UPDATE, "updateTicket", {"input": {"subject": "x"}}),
            (ASSIGN, "assignTicket", {"to": gid("Agent", people["sales"].agent.id)}),
            (ADD, "addTicketActivity", {"kind": "COMMENT", "note": "hi"}), (RATE, "rateTicket", {"score": 5}),
        ]:
            result = await call(http, query, headers, name, id=ticket["id"], **variables)
            assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"], (name, result)
    listed = await call(http, LIST, headers, "tickets", first=50)
    assert [n["id"] for n in listed["nodes"]] == [mine["id"]] and listed["totalCount"] == 1
    nested = await call(http, "query($id: ID!) { customer(id: $id) { tickets { totalCount nodes { id } } openTicketCount } }",
                        headers, "customer", id=gid("Customer", sales_customer.id))
    assert nested["tickets"]["nodes"] == [{"id": mine["id"]}] and nested["tickets"]["totalCount"] == 1
    assert (await Ticket.get(number=on_support["number"])).version == 1


async def test_security_admins_see_no_tickets(http, people) -> None:
    body = (await gql(http, "{ tickets { totalCount } }", people["security"].headers)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    result = await call(http, OPEN, people["security"].headers, "openTicket", input={"customer": gid("Customer", 1), "subject": "x"})
    assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"]


async def test_ticket_by_number_or_node_id(http, people) -> None:
    ticket = (await open_ticket(http, people["sales"].headers, await customer_in("sales")))["ticket"]
    query = "query($n: String, $id: ID) { ticket(number: $n, id: $id) { id } }"
    assert (await call(http, query, people["sales"].headers, "ticket", n=" t-000001 "))["id"] == ticket["id"]
    assert await call(http, query, people["sales"].headers, "ticket", n="T-000002") is None
    assert await call(http, query, people["sales"].headers, "ticket", n="T-000001", id=gid("Ticket", 99)) is None
    node = await call(http, "query($id: ID!) { node(id: $id) { ... on Ticket { number } } }", people["sales"].headers, "node", id=ticket["id"])
    assert node == {"number": "T-000001"}


async def test_ticket_lists_the_interactions_logged_on_it(http, people) -> None:
    customer = await customer_in("sales")
    ticket = (await open_ticket(http, people["sales"].headers, customer))["ticket"]
    row = await Ticket.first()
    now = datetime.now(UTC)
    for i in range(3):
        await Interaction.create(customer=customer, ticket=row if i else None, channel="call", direction="outbound",
                                 subject=f"call {i}", occurred_at=now + timedelta(minutes=i))
    shown = await call(http, "query($id: ID!) { ticket(id: $id) { interactions(first: 5) { totalCount nodes { subject } } } }",
                       people["sales"].headers, "ticket", id=ticket["id"])
    assert shown["interactions"]["totalCount"] == 2
    assert {n["subject"] for n in shown["interactions"]["nodes"]} == {"call 1", "call 2"}


async def test_a_bad_id_in_a_nested_filter_is_one_error(http, people) -> None:
    for i in range(3):
        await customer_in("sales", f"C{i}")
    body = (await gql(http, '{ customers { nodes { tickets(where: {customer: {eq: "bad"}}) { totalCount } } } }', people["sales"].headers)).json()
    assert len(body["errors"]) == 1 and "not a Customer id" in body["errors"][0]["message"]


# ---------------------------------------------------------------- filters, sorting, paging


async def _seed_tickets(n: int = 23) -> list[Ticket]:
    now = datetime.now(UTC)
    sales = await Department.get(code="sales")
    customers = [await Customer.create(name=f"C{i}", department=sales) for i in range(3)]
    priorities = ["low", "urgent", "normal", "high", "normal", "urgent", "low"]
    rows = []
    for i in range(n):
        due = now + timedelta(hours=(i * 7) % 11 - 3)
        rows.append(await Ticket.create(
            number=f"T-{i + 1:06d}", subject=f"Subject {i}", customer=customers[i % 3], department=sales,
            priority=priorities[i % 7], first_response_due_at=due - timedelta(hours=1), resolution_due_at=due,
        ))
    return rows


async def _walk(http, headers, order, forward: bool, where=None) -> list[str]:
    seen, cursor = [], None
    for _ in range(20):
        args = {"first": 4, "after": cursor} if forward else {"last": 4, "before": cursor}
        page = (await gql(http, LIST, headers, order=order, where=where, **args)).json()["data"]["tickets"]
        ids = [n["id"] for n in page["nodes"]]
        seen = seen + ids if forward else ids + seen
        more = page["pageInfo"]["hasNextPage"] if forward else page["pageInfo"]["hasPreviousPage"]
        if not more:
            return seen
        cursor = page["pageInfo"]["endCursor" if forward else "startCursor"]
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("field", ["CREATED_AT", "UPDATED_AT", "PRIORITY", "SLA_DUE_AT"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_pages_both_ways_lose_and_repeat_nothing(http, people, field, direction) -> None:
    await _seed_tickets()
    order = [{"field": field, "direction": direction}]
    whole = (await gql(http, LIST, people["lead"].headers, order=order, first=100)).json()["data"]["tickets"]
    expected = [n["id"] for n in whole["nodes"]]
    assert whole["totalCount"] == len(expected) == 23 == len(set(expected))
    assert await _walk(http, people["lead"].headers, order, forward=True) == expected
    assert await _walk(http, people["lead"].headers, order, forward=False) == expected


async def test_priority_sorts_by_severity_and_sla_by_due_time(http, people) -> None:
    rows = await _seed_tickets()
    rank = {"LOW": 0, "NORMAL": 1, "HIGH": 2, "URGENT": 3}
    desc = (await gql(http, LIST, people["lead"].headers, order=[{"field": "PRIORITY", "direction": "DESC"}], first=100)).json()
    priorities = [n["priority"] for n in desc["data"]["tickets"]["nodes"]]
    assert priorities == sorted(priorities, key=rank.__getitem__, reverse=True) and priorities[0] == "URGENT"
    by_due = (await gql(http, LIST, people["lead"].headers, order=[{"field": "SLA_DUE_AT", "direction": "ASC"},
                                                                   {"field": "PRIORITY", "direction": "DESC"}], first=100)).json()
    due = {gid("Ticket", r.id): r.resolution_due_at for r in rows}
    ids = [n["id"] for n in by_due["data"]["tickets"]["nodes"]]
    assert [due[i] for i in ids] == sorted(due[i] for i in ids)
    order = [{"field": "PRIORITY", "direction": "ASC"}, {"field": "SLA_DUE_AT", "direction": "DESC"}]
    whole = [n["id"] for n in (await gql(http, LIST, people["lead"].headers, order=order, first=100)).json()["data"]["tickets"]["nodes"]]
    assert await _walk(http, people["lead"].headers, order, forward=True) == whole
    assert await _walk(http, people["lead"].headers, order, forward=False) == whole


async def test_cursor_from_another_ordering_is_rejected(http, people) -> None:
    await _seed_tickets(6)
    page = (await gql(http, LIST, people["lead"].headers, first=2, order=[{"field": "PRIORITY", "direction": "ASC"}])).json()
    cursor = page["data"]["tickets"]["pageInfo"]["endCursor"]
    body = (await gql(http, LIST, people["lead"].headers, first=2, after=cursor)).json()
    assert "invalid cursor" in body["errors"][0]["message"]


async def _filter_world(people) -> dict[str, Ticket]:
    now = datetime.now(UTC)
    sales = await Department.get(code="sales")
    ann, bob = await Customer.create(name="Ann", department=sales), await Customer.create(name="Bob", department=sales)

    def ticket(number, subject, customer, **fields):
        fields.setdefault("first_response_due_at", now + timedelta(hours=1))
        fields.setdefault("resolution_due_at", now + timedelta(hours=10))
        return Ticket.create(number=number, subject=subject, customer=customer, department=sales, **fields)

    return {
        "a": await ticket("T-000001", "Printer jam", ann, priority="urgent", category="hardware", tags=["printer"],
                          custom={"floor": 3}, assignee=people["sales"].agent, status="open",
                          resolution_due_at=now - timedelta(hours=1)),  # overdue
        "b": await ticket("T-000002", "Invoice wrong", bob, priority="low", category="billing", description="double charge on the printer",
                          status="resolved", resolution_due_at=now - timedelta(hours=2), resolved_at=now - timedelta(hours=3)),
        "c": await ticket("T-000003", "Password reset", ann, status="closed", resolution_breached_at=now - timedelta(days=1),
                          custom={"floor": 5}),
    }


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"status": ["OPEN", "CLOSED"]}, {"a", "c"}),
        ({"priority": ["URGENT", "LOW"]}, {"a", "b"}),
        ({"number": {"eq": "T-000002"}}, {"b"}),
        ({"number": {"startsWith": "t-00000"}}, {"a", "b", "c"}),
        ({"category": {"eq": "hardware"}}, {"a"}),
        ({"category": {"isNull": True}}, {"c"}),
        ({"tag": "PRINTER"}, {"a"}),
        ({"breached": True}, {"a", "c"}),
        ({"breached": False}, {"b"}),
        ({"search": "printer"}, {"a", "b"}),
        ({"search": "000003"}, {"c"}),
        ({"custom": {"floor": {"gte": 4}}}, {"c"}),
        ({"department": ["support"]}, set()),
        ({"assignee": {"isNull": False}}, {"a"}),
        ({"or": [{"priority": ["URGENT"]}, {"status": ["CLOSED"]}]}, {"a", "c"}),
        ({"not": {"status": ["OPEN"]}}, {"b", "c"}),
        ({"and": [{"breached": True}, {"status": ["OPEN"]}]}, {"a"}),
    ],
)
async def test_filters(http, people, where, expected) -> None:
    tickets = await _filter_world(people)
    body = (await gql(http, LIST, people["lead"].headers, where=where, first=50)).json()
    assert "errors" not in body, body
    names = {gid("Ticket", t.id): name for name, t in tickets.items()}
    assert {names[n["id"]] for n in body["data"]["tickets"]["nodes"]} == expected


async def test_id_customer_assignee_and_time_filters(http, people) -> None:
    tickets = await _filter_world(people)
    a, c = tickets["a"], tickets["c"]
    now = datetime.now(UTC)
    cases = [
        ({"id": {"in": [gid("Ticket", a.id), gid("Ticket", c.id)]}}, {a.id, c.id}),
        ({"customer": {"eq": gid("Customer", a.customer_id)}}, {a.id, c.id}),
        ({"assignee": {"eq": gid("Agent", people["sales"].agent.id)}}, {a.id}),
        ({"slaDueAt": {"gt": now.isoformat()}}, {c.id}),
        ({"createdAt": {"lte": (now + timedelta(minutes=1)).isoformat()}}, {t.id for t in tickets.values()}),
    ]
    for where, expected in cases:
        body = (await gql(http, LIST, people["lead"].headers, where=where, first=50)).json()
        assert "errors" not in body, (where, body)
        assert {n["id"] for n in body["data"]["tickets"]["nodes"]} == {gid("Ticket", pk) for pk in expected}, where


# ---------------------------------------------------------------- query cost


async def _statements_for_page(http, headers, customers: int) -> int:
    sales = await Department.get(code="sales")
    now = datetime.now(UTC)
    for i in range(customers):
        customer = await Customer.create(name=f"C{i}", department=sales)
        for j in range(4):
            ticket = await Ticket.create(number=f"T-{i * 4 + j + 1:06d}", subject="s", customer=customer, department=sales,
                                         priority=["low", "high"][j % 2], first_response_due_at=now, resolution_due_at=now)
            for k in range(3):
                await TicketActivity.create(ticket=ticket, kind="comment", at=now + timedelta(seconds=k), note=f"n{k}")
    query = """{ customers(first: 100) { nodes { id
      tickets(first: 3, orderBy: [{field: PRIORITY, direction: DESC}]) { totalCount pageInfo { hasNextPage }
        nodes { number customer { name } department { code } assignee { email } sla { remainingSeconds }
                activities(first: 2) { kind actor { email } } } }
      urgent: tickets(where: {priority: [HIGH]}) { nodes { number } }
    } } }"""
    await gql(http, query, headers)  # warm the caches (policy, department codes) that any first request fills
    with count_statements() as counter:
        body = (await gql(http, query, headers)).json()
    assert "errors" not in body, body
    nodes = body["data"]["customers"]["nodes"]
    assert len(nodes) == customers
    for node in nodes:
        assert node["tickets"]["totalCount"] == 4 and node["tickets"]["pageInfo"]["hasNextPage"]
        assert [t["number"] for t in node["urgent"]["nodes"]] and len(node["urgent"]["nodes"]) == 2
        assert all(len(t["activities"]) == 2 for t in node["tickets"]["nodes"])
    # The policy version is polled every few seconds whatever the query: not the query's cost.
    return len([sql for sql in counter.statements if "counters" not in sql])


async def test_nested_tickets_cost_a_fixed_number_of_statements(http, people) -> None:
    headers = people["lead"].headers
    small = await _statements_for_page(http, headers, 5)
    await TicketActivity.all().delete()
    await Ticket.all().delete()
    await Customer.all().delete()
    large = await _statements_for_page(http, headers, 50)
    assert large == small, f"{small} statements for 5 customers, {large} for 50"
