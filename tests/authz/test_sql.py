"""Row scopes as SQL: the database returns only the rows a plan reaches (both legs)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tortoise.expressions import Q

from rapport.auth.actor import Actor, RoleGrant
from rapport.auth.authenticate import actor_for_agent
from rapport.authz.enforcer import CompiledPolicy
from rapport.authz.plan import PermissionPlan, plan_for
from rapport.authz.sql import department_ids, forget_departments, row_filter
from rapport.authz.store import seed_default_policy
from rapport.authz.model import default_policy_text
from rapport.authz.rules import Rule, parse_policy
from rapport.models import Customer, Department, Ticket
from tests.support.graphql import make_agent


@pytest.fixture
async def world(db):
    """Three departments, two agents in sales, one in support; customers owned by each."""
    rep = await make_agent("rep@x.org", "sales", roles=("agent@sales",))
    other = await make_agent("other@x.org", "sales", roles=("agent@sales",))
    sup = await make_agent("sup@x.org", "support", roles=("agent@support",))
    marketing, _ = await Department.get_or_create(code="marketing", defaults={"name": "Marketing"})
    sales = await Department.get(code="sales")
    support = await Department.get(code="support")
    rows = [("rep-1", sales, rep), ("rep-2", sales, rep), ("other-1", sales, other), ("nobody-1", sales, None),
            ("sup-1", support, sup), ("mkt-1", marketing, None), ("mkt-rep", marketing, rep)]
    for name, department, owner in rows:
        await Customer.create(name=name, department=department, owner=owner)
    return {"rep": rep, "other": other, "sup": sup}


async def visible(plan: PermissionPlan, action: str = "read") -> set[str]:
    condition = await row_filter(plan, "customer", action)
    if condition is None:
        return set()
    return set(await Customer.filter(condition).values_list("name", flat=True))


def plan_of(compiled: CompiledPolicy, *roles: str, agent_id: int | None, kind: str = "user") -> PermissionPlan:
    actor = Actor(kind, "someone@x.org", agent_id=agent_id, grants=tuple(RoleGrant.parse(r) for r in roles))
    return PermissionPlan(actor, compiled)


async def test_department_rows(world, default_policy) -> None:
    plan = plan_of(default_policy, "agent@sales", agent_id=world["rep"].id)
    assert await visible(plan) == {"rep-1", "rep-2", "other-1", "nobody-1"}


async def test_own_rows_only(world, default_policy) -> None:
    plan = plan_of(default_policy, "agent@sales", agent_id=world["rep"].id)
    assert await visible(plan, "update") == {"rep-1", "rep-2"}  # not mkt-rep: own rows of sales only
    everywhere = plan_of(default_policy, "agent@*", agent_id=world["rep"].id)
    assert await visible(everywhere, "update") == {"rep-1", "rep-2", "mkt-rep"}


async def test_all_rows_and_no_rows(world, default_policy) -> None:
    support = plan_of(default_policy, "agent@support", agent_id=world["sup"].id)
    condition = await row_filter(support, "customer")
    assert isinstance(condition, Q) and not condition.filters and not condition.children  # Q(): no condition
    assert len(await visible(support)) == 7
    nobody = plan_of(default_policy, "security-admin@*", agent_id=world["sup"].id)
    assert await row_filter(nobody, "customer") is None


async def test_departments_or_own_rows(world, default_policy) -> None:
    plan = plan_of(default_policy, "agent@sales", "manager@marketing", agent_id=world["rep"].id)
    assert await visible(plan, "update") == {"rep-1", "rep-2", "mkt-1", "mkt-rep"}


async def test_api_keys_own_no_rows(world, default_policy) -> None:
    key = plan_of(default_policy, "agent@sales", agent_id=None, kind="key")
    assert await row_filter(key, "customer", "update") is None
    assert await visible(key) == {"rep-1", "rep-2", "other-1", "nobody-1"}


async def test_unknown_department_codes_reach_nothing(world, default_policy) -> None:
    plan = plan_of(default_policy, "agent@legal", agent_id=world["rep"].id)
    assert await row_filter(plan, "customer") is None


async def test_owner_field_for_tickets(world, default_policy) -> None:
    now = datetime.now(UTC)
    customer = await Customer.get(name="rep-1")
    for number, assignee in (("T-1", world["rep"]), ("T-2", world["other"]), ("T-3", None)):
        await Ticket.create(number=number, subject=number, customer=customer, department_id=customer.department_id,
                            assignee=assignee, first_response_due_at=now, resolution_due_at=now)
    policy = parse_policy(default_policy_text())
    policy.rules.append(Rule("role:trainee", "*", "ticket", "read", "own", "allow"))
    plan = plan_of(CompiledPolicy(policy, 1), "trainee@sales", agent_id=world["rep"].id)
    condition = await row_filter(plan, "ticket", owner_field="assignee_id")
    assert set(await Ticket.filter(condition).values_list("number", flat=True)) == {"T-1"}


async def test_department_ids_are_cached_and_refreshed_for_new_codes(world) -> None:
    forget_departments()
    first = await department_ids(["sales", "support"])
    assert len(first) == 2
    legal = await Department.create(code="legal", name="Legal")  # saving a department drops the cache
    assert await department_ids(["legal"]) == [legal.id]
    await legal.delete()
    assert await department_ids(["legal"]) == []


async def test_real_users_with_grants_in_the_database(world) -> None:
    """End to end: the default policy seeded, grants stored as g rows, the actor as authentication builds it."""
    assert await seed_default_policy()
    rep = await actor_for_agent(world["rep"].id)
    assert rep is not None and rep.roles == ["agent@sales"]
    plan = await plan_for(rep)
    assert await visible(plan) == {"rep-1", "rep-2", "other-1", "nobody-1"}
    assert plan.field_mode("customer.email", "sales", True) == "full"
    assert plan.field_mode("customer.email", "sales", False) == "masked"
    support = await plan_for(await actor_for_agent(world["sup"].id))
    assert len(await visible(support)) == 7
    assert support.field_mode("customer.phone", "sales", False) == "masked"


async def test_scopes_are_two_valued_so_not_gives_the_complement(world, default_policy) -> None:
    """``NOT scope`` must hold on every row outside the scope, unowned rows included (SQL's NULL would drop
    them), in the tortoise filter and in the SQL text that guards personal values."""
    every = set(await Customer.all().values_list("name", flat=True))
    plans = [plan_of(default_policy, "agent@sales", agent_id=world["rep"].id),
             plan_of(default_policy, "agent@sales", "manager@marketing", agent_id=world["rep"].id),
             plan_of(default_policy, "agent@*", agent_id=world["rep"].id)]
    cases = [(plan, resource, action) for plan in plans
             for resource, action in (("customer.email", "read"), ("customer", "update"), ("customer.phone", "read_masked"))]
    expected = []
    for plan, resource, action in cases:
        condition = await row_filter(plan, resource, action)
        assert condition is not None
        inside = set(await Customer.filter(condition).values_list("name", flat=True))
        everything = not condition.filters and not condition.children  # Q(): tortoise renders ~Q() as no filter
        outside = set() if everything else set(await Customer.filter(~condition).values_list("name", flat=True))
        assert inside | outside == every and not inside & outside, (resource, action)
        expected.append((inside, outside))

    from tortoise import connections

    from rapport.authz.readable import reach_sql
    from rapport.authz.sql import row_reach

    conn = connections.get("default")
    for (plan, resource, action), (inside, outside) in zip(cases, expected, strict=True):
        sql = reach_sql(await row_reach(plan, resource, action))
        assert {r["name"] for r in await conn.execute_query_dict(f"SELECT name FROM customers WHERE {sql}")} == inside
        assert {r["name"] for r in await conn.execute_query_dict(f"SELECT name FROM customers WHERE NOT {sql}")} == outside
