"""The default policy and a cast of agents in two departments, for tests that exercise access rules."""

from __future__ import annotations

from dataclasses import dataclass

from rapport.models import Agent
from rapport.settings import Settings
from tests.support.graphql import bearer, make_agent


@dataclass
class Persona:
    agent: Agent
    headers: dict[str, str]


async def cast(settings: Settings) -> dict[str, Persona]:
    """sales agent and lead, a second sales agent, support agent, analyst, security admin, admin."""
    from rapport.authz.store import seed_default_policy

    await seed_default_policy()
    people = {
        "sales": ("sales.rep@example.com", "sales", ("agent@sales",)),
        "sales2": ("sales.other@example.com", "sales", ("agent@sales",)),
        "lead": ("sales.lead@example.com", "sales", ("manager@sales",)),
        "support": ("support.rep@example.com", "support", ("agent@support",)),
        "analyst": ("analyst@example.com", "marketing", ("analyst@*",)),
        "security": ("security@example.com", None, ("security-admin@*",)),
        "admin": ("admin@example.com", None, ("admin@*",)),
    }
    result = {}
    for name, (email, department, roles) in people.items():
        agent = await make_agent(email, department, roles=roles)
        result[name] = Persona(agent, bearer(agent, settings))
    return result
