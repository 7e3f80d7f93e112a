"""Benchmark: ``python -m rapport.graphql.bench [--database-url URL] [--as EMAIL] [--requests N]``.

Times whole GraphQL requests through the app, started as a server starts it (its lifespan), on the
demo data: authentication, the access gate, masking, SQL and serialization; no network (an in-process
ASGI client). It prints per operation the median and 90th percentile of wall time, the CPU time of
this process (the database server's time is not in it), the SQL statements a request issues and the
rows it answers. The operations follow the shapes of the shared benchmark workload:

- ``customer_detail``  Q1: a customer with its 10 latest interactions and its unfinished tickets
- ``customer_page``    Q2: 50 existing customers, newest first, owner name, open ticket count (the shared
  workload also asks for the high tier: the demo data has too few of those for a page)
- ``customer_nested``  50 customers with owner, department, 3 interactions and 2 tickets each
- ``ticket_queue``     Q3: 50 NEW/OPEN tickets of a department by resolution due time, each with its
  customer and the customer's latest interaction
- ``log_interaction``  M1: record one interaction (the rows it adds are deleted afterwards)

``--profile`` adds, after each operation's figures, where its time goes (cProfile, by own time).
Without ``--database-url`` it migrates and seeds a temporary SQLite file. With a URL, the database is
migrated and seeded with the demo data when it holds no customers (never on top of other data).
Figures are printed, never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tortoise import Tortoise

from rapport.auth.tokens import issue_token
from rapport.db import tortoise_config
from rapport.settings import Settings
from rapport.sql_count import count_statements

CUSTOMER_DETAIL = """query($id: ID!) { customer(id: $id) {
  id name email phone company segment tier owner { id } department { id } createdAt custom
  interactions(first: 10) { nodes { id channel direction subject body occurredAt agent { id } } }
  tickets(first: 50, where: {status: [NEW, OPEN, PENDING]}, orderBy: [{field: CREATED_AT, direction: DESC}]) {
    nodes { id status priority category subject createdAt sla { resolutionDueAt } } }
} }"""

CUSTOMER_PAGE = """query($after: String) {
  customers(first: 50, after: $after, where: {segment: [EXISTING]},
            orderBy: [{field: CREATED_AT, direction: DESC}]) {
    pageInfo { hasNextPage endCursor }
    nodes { id name email company segment tier createdAt owner { name } openTicketCount }
} }"""

CUSTOMER_NESTED = """{ customers(first: 50) { nodes {
  id name email owner { name } department { code } openTicketCount
  interactions(first: 3) { nodes { id subject } } tickets(first: 2) { nodes { id number status } }
} } }"""

TICKET_QUEUE = """query($department: [String!]) {
  tickets(first: 50, where: {status: [NEW, OPEN], department: $department},
          orderBy: [{field: SLA_DUE_AT, direction: ASC}]) {
    nodes { id subject status priority category createdAt sla { resolutionDueAt }
            customer { id name interactions(first: 1) { nodes { subject occurredAt } } } }
} }"""

LOG_INTERACTION = """mutation($input: LogInteractionInput!) { logInteraction(input: $input) {
  interaction { id } errors { code message } } }"""


@dataclass
class Figures:
    wall_ms: list[float]
    cpu_ms: list[float]
    statements: int
    rows: int

    def line(self, name: str) -> str:
        wall, cpu = sorted(self.wall_ms), sorted(self.cpu_ms)
        p90 = wall[min(len(wall) - 1, int(len(wall) * 0.9))]
        return (f"{name:<17} wall median {statistics.median(wall):7.2f} ms  p90 {p90:7.2f} ms   "
                f"cpu median {statistics.median(cpu):7.2f} ms   {self.statements:3d} statements   {self.rows:3d} rows   "
                f"{1000 / statistics.median(wall):6.0f} req/s (one client)")


async def profile(call: Callable[[], Awaitable[httpx.Response]], requests: int, top: int = 30) -> None:
    """Print where the time of ``requests`` requests goes (cProfile, by own time)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        _check(await call())
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


async def measure(call: Callable[[], Awaitable[httpx.Response]], requests: int) -> Figures:
    for _ in range(3):  # warm: caches of the parser, the validator, the permission plan
        _check(await call())
    with count_statements() as counted:
        rows = _rows(await call())
    statements = counted.count
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        _check(await call())
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return Figures(wall, cpu, statements, rows)


def _rows(response: httpx.Response) -> int:
    """How many rows the root field answered with (its page's nodes; 1 for a single object)."""
    _check(response)
    (value,) = response.json()["data"].values()
    return len(value["nodes"]) if isinstance(value, dict) and "nodes" in value else int(value is not None)


def _check(response: httpx.Response) -> None:
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"the benchmark's request failed ({response.status_code}): {response.text[:500]}")
    data = body.get("data") or {}
    payload = data.get("logInteraction")
    if payload and payload.get("errors"):
        raise SystemExit(f"the benchmark's write was refused: {payload['errors']}")


async def prepare(url: str) -> None:
    from rapport.authz.store import seed_default_policy
    from rapport.migrator import migrate
    from rapport.models import Customer
    from rapport.services.demo_data import seed_demo

    await migrate(url)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    if not await Customer.exists():
        await seed_demo()
        await seed_default_policy()


async def run(url: str, email: str, requests: int, only: set[str] | None, profiled: bool = False) -> None:
    try:
        await _run(url, email, requests, only, profiled)
    finally:
        await Tortoise.close_connections()  # an open SQLite connection's thread would keep the process alive


async def _run(url: str, email: str, requests: int, only: set[str] | None, profiled: bool) -> None:
    from rapport.app import create_app
    from rapport.graphql.core.ids import to_global_id
    from rapport.models import Agent, Customer, Department, Interaction

    await prepare(url)
    settings = Settings(database_url=url, secret_key="b" * 40, plugins="", redis_url=None, jobs_in_process=False,
                        rate_limit_actor=10**12, rate_limit_ip=10**12)  # limits counted (on the path), never reached
    agent = await Agent.get_or_none(email=email)
    if agent is None:
        raise SystemExit(f"no agent {email!r} in this database (the demo personas are *@demo.example.com)")
    headers = {"Authorization": f"Bearer {issue_token(agent.id, settings.signing_key, 3600)}"}
    department = await Department.get(id=agent.department_id)
    customer = await Customer.filter(department_id=agent.department_id, deleted_at__isnull=True).order_by("id").first()
    if customer is None:
        raise SystemExit(f"no customer in {department.code}, the department of {email}")
    customer_id = to_global_id("Customer", customer.id)
    newest = await Interaction.all().order_by("-id").first()
    first_interaction = newest.id if newest else 0

    app = create_app(settings, manage_database=False)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.bench") as client:

        def post(query: str, **variables: Any) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)

        interaction = {"customer": customer_id, "channel": "CALL", "direction": "OUTBOUND",
                       "subject": "Benchmark follow-up", "body": "Called the customer to follow up. " * 6}
        operations = {
            "customer_detail": post(CUSTOMER_DETAIL, id=customer_id),
            "customer_page": post(CUSTOMER_PAGE),
            "customer_nested": post(CUSTOMER_NESTED),
            "ticket_queue": post(TICKET_QUEUE, department=[department.code]),
            "log_interaction": post(LOG_INTERACTION, input=interaction),
        }
        print(f"{url.split('://', 1)[0]}; as {email} ({department.code}); {requests} requests per operation")
        try:
            for name, call in operations.items():
                if only and name not in only:
                    continue
                print((await measure(call, requests)).line(name), flush=True)
                if profiled:
                    await profile(call, requests)
        finally:
            await Interaction.filter(id__gt=first_interaction).delete()  # what log_interaction added


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rapport.graphql.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file with the demo data")
    parser.add_argument("--as", dest="email", default="sales.lead@demo.example.com",
                        help="the agent the requests run as (default: sales.lead@demo.example.com)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per operation (default 200)")
    parser.add_argument("--only", nargs="*", help="operations to run (default: all)")
    parser.add_argument("--profile", action="store_true", help="after each operation's figures, where its time goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as scratch:
        url = args.database_url or f"sqlite://{Path(scratch) / 'bench.db'}"
        asyncio.run(run(url, args.email, args.requests, set(args.only) if args.only else None, args.profile))


if __name__ == "__main__":
    main()
