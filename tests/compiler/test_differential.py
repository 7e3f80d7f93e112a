"""The compiled read path answers every read exactly as the resolvers do (both legs).

Two apps share one database seeded with the demo data: one with ``compiled_reads`` as configured, one
with it off (the resolvers, the reference). Each operation is sent to both as one of five personas and
the answers must be the same: ``data``, ``errors`` and ``extensions.redactions`` (``same_answer``).

A: every query of ``schema/operations`` (the documented client operations) with real variables.
B: generated reads (``read_operations``), each as every persona: random roots, selections, fragments,
   aliases, filters, orders, page sizes, variables, and the next and previous pages from the cursors
   of an answer.
C: the benchmark's read documents (``operations/Q*.graphql``), and that they are served compiled.

While the compiled path is not there, both apps run the resolvers and A-C hold trivially; the last
test (every benchmark root served "compiled") is expected to fail until then.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, OperationType, parse
from hypothesis import HealthCheck, given, note, settings as hypothesis_settings
from hypothesis import strategies as st

from tests.compiler.demo_world import PERSONAS, DemoWorld, Samples, demo_world
from tests.compiler.operation_text import Operation, Var
from tests.compiler.read_operations import PAGING, read_operations
from tests.compiler.same_answer import assert_same
from tests.compiler.two_paths import two_paths

REPOSITORY = Path(__file__).resolve().parents[2]
DOCUMENTED = sorted((REPOSITORY / "schema" / "operations").glob("*.graphql"))
BENCHMARK = sorted((Path(__file__).parent / "operations").glob("Q*.graphql"))


@pytest.fixture
async def world(db, settings) -> AsyncIterator[DemoWorld]:
    """The demo data, seeded once per test (hypothesis's examples share it: they only read)."""
    async with two_paths(settings) as paths:
        yield await demo_world(settings, paths)


async def same(world: DemoWorld, persona: str, query: str, variables: dict[str, Any] | None = None,
               ) -> tuple[dict[str, Any], dict[str, str]]:
    """Ask both paths as ``persona``; assert the same answer; return the resolvers' body and readPath."""
    compiled, resolvers = await world.paths.ask(query, world.headers[persona], variables)
    read_path = assert_same(compiled, resolvers)
    return resolvers, read_path


def is_query(path: Path) -> bool:
    document = parse(path.read_text())
    return any(isinstance(d, OperationDefinitionNode) and d.operation == OperationType.QUERY
               for d in document.definitions)


# --- A: the documented operations ---------------------------------------------------------------------


def documented_variables(name: str, samples: Samples) -> dict[str, Any]:
    """Variables for each documented query: real ids and numbers of the demo, a recent period."""
    midnight = samples.now.replace(hour=0, minute=0, second=0, microsecond=0)
    period = {"from": (midnight - timedelta(days=90)).isoformat(), "to": (midnight + timedelta(days=1)).isoformat()}
    table: dict[str, dict[str, Any]] = {
        "AgentPicker": {"department": "sales"},
        "CustomerDetail": {"id": samples.customers[0]},
        "DepartmentReport": {"period": period},
        "ExplainAccess": {"subject": "user:sales.rep@demo.example.com", "resource": "customer.phone",
                          "action": "read", "department": "sales"},
        "NodeById": {"id": samples.customers[1]},
        "NodesByIds": {"ids": [samples.customers[0], samples.tickets[0], samples.interactions[0], samples.agents[0],
                               samples.departments[0], samples.customers[-1]]},
        "ReportsCustomerHealth": {"period": period},
        "ReportsServiceDashboard": {"period": period},
        "TicketDetail": {"number": samples.ticket_numbers[0]},
        "Viewer": {"department": "sales"},
    }
    return table.get(name, {})


QUERIES = [path for path in DOCUMENTED if is_query(path)]


def test_the_documented_queries_are_found() -> None:
    names = {path.stem for path in QUERIES}
    assert {"CustomerDetail", "CustomerPage", "TicketDetail", "TicketPage", "NodesByIds", "Viewer"} <= names
    assert "LogInteraction" not in names and "TicketQueueLive" not in names  # mutations, subscriptions


# The documented reads the compiled path serves (for every persona who may run them): the others read
# reports, access rules, policy changes or deliveries, which the resolvers serve.
COMPILED_DOCUMENTS = {"AgentPicker", "CustomerDetail", "CustomerPage", "Departments", "InteractionPage", "NodeById",
                      "NodesByIds", "TicketDetail", "TicketPage", "Viewer"}


async def test_documented_queries_answer_alike_on_both_paths(world: DemoWorld) -> None:
    answered = set()
    served: dict[str, set[str]] = {}
    for path in QUERIES:
        query = path.read_text()
        variables = documented_variables(path.stem, world.samples)
        for persona in PERSONAS:
            if "reports" in query:  # the report cache: the first answer says cached=false, later ones true
                await world.paths.resolvers.post("/graphql", json={"query": query, "variables": variables},
                                                 headers=world.headers[persona])
            body, read_path = await same(world, persona, query, variables)
            if body.get("data") and not body.get("errors"):
                answered.add(path.stem)
                served.setdefault(path.stem, set()).update(read_path.values())
    assert answered == {path.stem for path in QUERIES}  # each one answers someone in full, variables included
    compiled = {name for name, paths in served.items() if paths == {"compiled"}}
    assert compiled >= COMPILED_DOCUMENTS, sorted(COMPILED_DOCUMENTS - compiled)


CAN_READ = "{ customers(first: 5) { totalCount nodes { id email } } tickets(first: 1) { totalCount } }"


async def test_every_persona_reads_something(world: DemoWorld) -> None:
    totals = {}
    for persona in PERSONAS:
        body, _ = await same(world, persona, CAN_READ)
        assert "errors" not in body, (persona, body)
        totals[persona] = body["data"]["customers"]["totalCount"]
        assert totals[persona] > 0
    assert totals["sales"] < totals["admin"]  # the personas see different slices
    body, _ = await same(world, "support", CAN_READ)
    assert (body.get("extensions") or {}).get("redactions"), "the support rep gets masked personal fields"


# --- B: generated reads -------------------------------------------------------------------------------


async def same_with_pages(world: DemoWorld, persona: str, operation: Operation, paged: str | None, data: Any) -> None:
    """Compare the operation, then (``paged``) its next page from endCursor and its previous page from
    the next page's startCursor, each cursor written as a literal or a variable."""
    body, _ = await same(world, persona, operation.text(), operation.values())
    if paged is None or not body.get("data") or not body["data"].get(paged):
        return
    page = body["data"][paged][PAGING]
    if not page["endCursor"]:
        return
    size = data.draw(st.sampled_from((1, 3, 20)), label="page size")

    def cursor(value: str, name: str, type_name: str) -> Any:
        return Var(f"{name}Cursor", type_name, value) if data.draw(st.booleans(), label=f"{name} as variable") else value

    following = operation.with_root_args(paged, ("first", "last", "before", "after"),
                                         {"first": size, "after": cursor(page["endCursor"], "after", "String")})
    body, _ = await same(world, persona, following.text(), following.values())
    if not body.get("data") or not body["data"].get(paged) or not body["data"][paged][PAGING]["startCursor"]:
        return
    start = body["data"][paged][PAGING]["startCursor"]
    preceding = operation.with_root_args(paged, ("first", "last", "before", "after"),
                                         {"last": size, "before": cursor(start, "before", "String")})
    await same(world, persona, preceding.text(), preceding.values())


@hypothesis_settings(max_examples=60, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.data_too_large])
@given(data=st.data())
async def test_generated_reads_answer_alike_on_both_paths(world: DemoWorld, data: st.DataObject) -> None:
    """Each operation as every persona: the paths differ most in who may see which rows and fields, and
    generating an operation costs more than asking it five more times."""
    operation, paged = data.draw(read_operations(world.samples), label="operation")
    note(f"{operation.text()}variables: {operation.values()}")
    for persona in PERSONAS:
        note(f"as {persona}")
        await same_with_pages(world, persona, operation, paged, data)


# --- C: the benchmark's reads -------------------------------------------------------------------------


BENCH_CUSTOMERS = "{ customers(first: 4, where: {department: [\"sales\"]}) { nodes { id } } }"


async def benchmark_requests(world: DemoWorld, persona: str) -> list[tuple[str, dict[str, Any]]]:
    """(document, variables) pairs as the benchmark sends them: Q1 for customers of several departments,
    Q2 on its first two pages, Q3 for two departments and for all."""
    documents = {path.stem: path.read_text() for path in BENCHMARK}
    assert set(documents) == {"Q1", "Q2", "Q3"}
    sales = (await world.paths.resolvers.post("/graphql", json={"query": BENCH_CUSTOMERS},
                                              headers=world.headers["admin"])).json()["data"]["customers"]["nodes"]
    requests = [(documents["Q1"], {"id": customer}) for customer in world.samples.customers[:4]]
    requests += [(documents["Q1"], {"id": node["id"]}) for node in sales[:2]]
    first_page = (await world.paths.resolvers.post("/graphql", json={"query": documents["Q2"]},
                                                   headers=world.headers[persona])).json()
    requests += [(documents["Q2"], {}), (documents["Q2"], {"after": None}),
                 (documents["Q2"], {"after": first_page["data"]["customers"]["pageInfo"]["endCursor"]})]
    requests += [(documents["Q3"], {"department": ["support"]}), (documents["Q3"], {"department": ["sales"]}),
                 (documents["Q3"], {})]
    return requests


@pytest.mark.parametrize("persona", ["admin", "manager"])
async def test_benchmark_reads_answer_alike_on_both_paths(world: DemoWorld, persona: str) -> None:
    rows = 0
    for query, variables in await benchmark_requests(world, persona):
        body, _ = await same(world, persona, query, variables)
        assert "errors" not in body, body
        rows += sum(len(field.get("nodes", [])) for field in body["data"].values() if isinstance(field, dict))
    assert rows > 0


async def test_benchmark_reads_are_compiled(world: DemoWorld) -> None:
    for persona in ("admin", "manager"):
        for query, variables in await benchmark_requests(world, persona):
            body, read_path = await same(world, persona, query, variables)
            assert read_path == {key: "compiled" for key in body["data"]}, (persona, variables, read_path)


# --- D: reads the generator does not reach ---------------------------------------------------------------

ACTIVITIES = """query($id: ID!, $after: String) { ticket(id: $id) { number activities(first: 2, after: $after) {
  id kind at note fromStatus toStatus minutesSpent actor { name } } } }"""
QUESTIONS = """query($resource: String!) { viewer { roles mayRead: can(resource: $resource, action: "read")
  mayExport: can(resource: "customer", action: "export", department: "sales") agent { name department { code } } } }"""
CLASSES = "query($id: ID!) { customer(id: $id) { classification { segment tier tags classifiedAt reasons { rule target value } } } }"


async def test_activities_questions_and_classes_answer_alike_on_both_paths(world: DemoWorld) -> None:
    for persona in PERSONAS:
        for ticket in world.samples.tickets[:3]:
            body, _ = await same(world, persona, ACTIVITIES, {"id": ticket})
            activities = ((body.get("data") or {}).get("ticket") or {}).get("activities") or []
            if activities:  # the next page, from the first activity; then an id that names nothing
                await same(world, persona, ACTIVITIES, {"id": ticket, "after": activities[0]["id"]})
                await same(world, persona, ACTIVITIES, {"id": ticket, "after": world.samples.customers[0]})
        for resource in ("customer.phone", "report.churnRate", "no.such.thing"):
            await same(world, persona, QUESTIONS, {"resource": resource})
        for customer in world.samples.customers[:3]:
            await same(world, persona, CLASSES, {"id": customer})
    body, read_path = await same(world, "admin", ACTIVITIES, {"id": world.samples.tickets[0]})
    assert body["data"]["ticket"]["activities"] and read_path == {"ticket": "compiled"}


# --- E: operations that mix compiled root fields with resolver-served ones ---------------------------------

MIXED = """query($period: DateRange!) {
  customers(first: 3) { totalCount nodes { name email } }
  reports { ticketVolume(period: $period, groupBy: DEPARTMENT) { rows { key value } } }
  policyChanges(first: 2) { at }
  viewer { roles }
}"""


async def test_mixed_operations_compile_what_they_can_and_answer_alike(world: DemoWorld) -> None:
    variables = documented_variables("DepartmentReport", world.samples)
    for persona in PERSONAS:
        await world.paths.resolvers.post("/graphql", json={"query": MIXED, "variables": variables},
                                         headers=world.headers[persona])  # the report cache, as above
        body, read_path = await same(world, persona, MIXED, variables)
        if persona == "admin":
            assert "errors" not in body, body
            assert read_path == {"customers": "compiled", "reports": "resolvers", "policyChanges": "resolvers",
                                 "viewer": "compiled"}, read_path
