"""The demo data seen by five personas, and real values from it to put into operations.

``seed_demo`` fills the database (deterministic rows, times relative to today's midnight UTC) and the
default policy is stored. The personas are demo agents: the admin, a sales rep, a support rep (who gets
customers' personal fields masked outside what the rep owns), the sales manager, and an analyst.
``Samples`` holds ids, numbers, names and cursors read as the admin, so generated operations use values
that match rows (and a few that match nothing, or name another type's object).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rapport.authz.store import seed_default_policy
from rapport.models import Agent
from rapport.services.demo_data import seed_demo
from rapport.settings import Settings
from tests.compiler.two_paths import TwoPaths
from tests.support.graphql import bearer

PERSONAS = {
    "admin": "admin@demo.example.com",
    "sales": "sales.rep@demo.example.com",
    "support": "support.rep@demo.example.com",
    "manager": "sales.lead@demo.example.com",
    "analyst": "analyst@demo.example.com",
}

SAMPLE = """
query Samples {
  customers(first: 100, orderBy: [{field: NAME}]) {
    nodes { id name company email phone owner { id } department { code } }
  }
  tickets(first: 100, orderBy: [{field: CREATED_AT, direction: DESC}]) {
    nodes { id number category customer { id } assignee { id } department { code } }
  }
  interactions(first: 60) { nodes { id ticket { id } } }
  agents(first: 100) { id }
  departments { id code }
}"""


def global_id(type_name: str, pk: int) -> str:
    """A Relay global id as the API writes them (base64 of "Type:pk"): for ids that match no row."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


@dataclass
class Samples:
    customers: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    ticket_numbers: list[str] = field(default_factory=list)
    interactions: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    department_codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def times(self) -> list[str]:
        """Instants spread over the demo's history (it reaches back ~600 days) and a little after it."""
        midnight = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        return [(midnight - timedelta(days=days)).isoformat() for days in (-2, 0, 1, 7, 30, 90, 365)]

    def all_ids(self) -> list[str]:
        return self.customers + self.tickets + self.interactions + self.agents + self.departments


@dataclass
class DemoWorld:
    paths: TwoPaths
    headers: dict[str, dict[str, str]]  # persona -> Authorization header
    samples: Samples


async def demo_world(settings: Settings, paths: TwoPaths) -> DemoWorld:
    """Seed the demo and the default policy (tables are empty: the ``db`` fixture), sign the personas in,
    and read samples as the admin (through the resolvers: they are the reference)."""
    await seed_demo()
    await seed_default_policy()
    headers = {}
    for persona, email in PERSONAS.items():
        headers[persona] = bearer(await Agent.get(email=email), settings, ttl=3600)
    body = (await paths.resolvers.post("/graphql", headers=headers["admin"], json={"query": SAMPLE})).json()
    assert "errors" not in body, body
    return DemoWorld(paths, headers, _samples(body["data"]))


def _every(rows: list[dict[str, Any]], step: int, limit: int) -> list[dict[str, Any]]:
    return rows[::step][:limit]


def _samples(data: dict[str, Any]) -> Samples:
    customers = data["customers"]["nodes"]
    tickets = data["tickets"]["nodes"]
    picked = _every(customers, 9, 10)
    samples = Samples(
        customers=[c["id"] for c in picked] + [global_id("Customer", 999_999)],
        tickets=[t["id"] for t in _every(tickets, 11, 8)] + [global_id("Ticket", 999_999)],
        ticket_numbers=[t["number"] for t in _every(tickets, 13, 6)] + ["T-999999", "nope"],
        interactions=[i["id"] for i in _every(data["interactions"]["nodes"], 7, 8)],
        agents=[a["id"] for a in _every(data["agents"], 3, 6)],
        departments=[d["id"] for d in data["departments"]],
        department_codes=[d["code"] for d in data["departments"]] + ["nowhere"],
        names=sorted({c["name"] for c in picked}),
        companies=sorted({c["company"] for c in picked if c["company"]}),
        emails=sorted({c["email"] for c in picked if c["email"]}),
        phones=sorted({c["phone"] for c in picked if c["phone"]}),
        categories=sorted({t["category"] for t in tickets if t["category"]}) + ["none-such"],
    )
    assert samples.customers and samples.tickets and samples.interactions and samples.agents
    return samples
