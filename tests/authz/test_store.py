"""Editing the policy: validated, audited, versioned, in one transaction, then published (both legs)."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from rapport.auth.actor import Actor, RoleGrant
from rapport.auth.authenticate import actor_for_agent
from rapport.authz import store
from rapport.authz.model import default_policy_text
from rapport.authz.plan import plan_for
from rapport.authz.rules import Assignment, FieldGroup, Rule, parse_policy
from rapport.models import Department, PolicyChange, PolicyRule
from rapport.services.counters import POLICY_VERSION, current_value
from rapport.services.errors import DomainError, ErrorCode
from tests.support.graphql import make_agent

EXPORT_RULE = Rule("role:agent", "*", "customer", "export", "dept", "allow")


@pytest.fixture
async def seeded(db) -> None:
    for code in ("sales", "support", "marketing"):
        await Department.create(code=code, name=code.title())
    assert await store.seed_default_policy()


async def version() -> int:
    return await current_value(connections.get("default"), POLICY_VERSION)


async def snapshot() -> tuple[int, int, int, str]:
    return await version(), await PolicyRule.all().count(), await PolicyChange.all().count(), await store.export_rules()


async def test_seed_is_idempotent_and_audited(db) -> None:
    assert await store.seed_default_policy()
    assert not await store.seed_default_policy()
    assert await version() == 1
    (change,) = await PolicyChange.all()
    assert change.change == "seed" and change.actor == "system:seed" and change.version == 1
    assert await store.export_rules() == parse_policy(default_policy_text()).to_csv()


async def test_add_rule_writes_rule_change_and_version_together(seeded) -> None:
    published: list[int] = []

    async def hook(new_version: int) -> None:
        published.append(new_version)

    store.on_policy_changed.append(hook)
    new_version = await store.add_rule(EXPORT_RULE, by="cli:tester")
    assert new_version == 2 == await version() and published == [2]
    assert await PolicyRule.filter(ptype="p", v0="role:agent", v3="export").exists()
    change = await PolicyChange.get(version=2)
    assert (change.actor, change.change, change.rule) == ("cli:tester", "add_rule", EXPORT_RULE.csv())
    assert change.before is None and change.after == {"ptype": "p", "values": EXPORT_RULE.values}
    plan = await plan_for(Actor("user", "x@x.org", grants=(RoleGrant("agent", "sales"),)))
    assert plan.allows("customer", "export", "sales")  # this process sees the change at once

    assert await store.remove_rule(EXPORT_RULE, by="cli:tester") == 3
    change = await PolicyChange.get(version=3)
    assert change.change == "remove_rule" and change.after is None and change.before["values"] == EXPORT_RULE.values
    plan = await plan_for(Actor("user", "x@x.org", grants=(RoleGrant("agent", "sales"),)))
    assert not plan.allows("customer", "export")


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        (Rule("role:agent", "*", "customer", "exprt", "dept", "allow"), "unknown action 'exprt'"),
        (Rule("role:agent", "*", "customer", "read", "team", "allow"), "unknown scope 'team'"),
        (Rule("role:agent", "*", "customer", "read", "dept", "maybe"), "unknown effect 'maybe'"),
        (Rule("agent", "*", "customer", "read", "dept", "allow"), "malformed subject 'agent'"),
        (Rule("role:agent", "*", "customers", "read", "dept", "allow"), "unknown resource 'customers'"),
        (Rule("role:agent", "*", "customer.emial", "read", "dept", "allow"), "unknown resource 'customer.emial'"),
        (Rule("role:agent", "legal", "customer", "read", "dept", "allow"), "unknown department 'legal'"),
    ],
)
async def test_invalid_rules_change_nothing(seeded, rule: Rule, fragment: str) -> None:
    before = await snapshot()
    with pytest.raises(DomainError) as caught:
        await store.add_rule(rule, by="cli:tester")
    (problem,) = caught.value.problems
    assert problem.code == ErrorCode.INVALID and fragment in problem.message and rule.csv() in problem.message
    assert await snapshot() == before


async def test_known_resource_patterns_and_field_groups_are_accepted(seeded) -> None:
    await store.add_rule(Rule("role:agent", "sales", "customer.title", "read", "dept", "deny"), by="cli:t")
    await store.add_rule(Rule("key:erp-sync", "*", "report.*", "read", "all", "allow"), by="cli:t")
    await store.add_rule(FieldGroup("ticket.description", "ticket.sensitive"), by="cli:t")
    await store.add_rule(Rule("role:manager", "*", "ticket.sensitive", "read", "dept", "allow"), by="cli:t")
    assert await version() == 5


async def test_duplicates_and_missing_rules(seeded) -> None:
    with pytest.raises(DomainError) as caught:
        await store.add_rule(Rule("role:admin", "*", "*", "*", "all", "allow"), by="cli:t")
    assert caught.value.problems[0].code == ErrorCode.DUPLICATE
    with pytest.raises(DomainError) as caught:
        await store.remove_rule(EXPORT_RULE, by="cli:t")
    assert caught.value.problems[0].code == ErrorCode.NOT_FOUND
    assert await version() == 1 and await PolicyChange.all().count() == 1


async def test_grant_and_revoke_roles(seeded) -> None:
    agent = await make_agent("new.rep@x.org", "sales")
    assert await store.grant_role("user:new.rep@x.org", "agent@sales", by="cli:t") == 2
    actor = await actor_for_agent(agent.id)
    assert actor.roles == ["agent@sales"] and (await plan_for(actor)).allows("customer", "read", "sales")
    change = await PolicyChange.get(version=2)
    assert change.change == "grant_role" and change.rule == "g, user:new.rep@x.org, role:agent, sales"
    assert await store.grant_role("user:new.rep@x.org", RoleGrant("analyst", "*"), by="cli:t") == 3
    assert await store.revoke_role("user:new.rep@x.org", "agent@sales", by="cli:t") == 4
    assert (await actor_for_agent(agent.id)).roles == ["analyst@*"]
    for subject, grant, code, fragment in [
        ("user:new.rep@x.org", "agnet@sales", ErrorCode.INVALID, "role:agnet has no rules"),
        ("user:new.rep@x.org", "agent@legal", ErrorCode.INVALID, "unknown department 'legal'"),
        ("user:new.rep@x.org", "agent", ErrorCode.INVALID, "ROLE@DEPARTMENT"),
        ("key:erp", "agent@sales", ErrorCode.INVALID, "API keys carry their roles"),
        ("new.rep@x.org", "agent@sales", ErrorCode.INVALID, "malformed subject"),
        ("user:new.rep@x.org", "analyst@*", ErrorCode.DUPLICATE, "exists already"),
    ]:
        with pytest.raises(DomainError) as caught:
            await store.grant_role(subject, grant, by="cli:t")
        assert caught.value.problems[0].code == code and fragment in str(caught.value), (grant, str(caught.value))
    with pytest.raises(DomainError) as caught:
        await store.revoke_role("user:new.rep@x.org", "manager@sales", by="cli:t")
    assert caught.value.problems[0].code == ErrorCode.NOT_FOUND
    assert await version() == 4


async def test_export_import_round_trip(seeded) -> None:
    await store.grant_role("user:a@x.org", "agent@sales", by="cli:t")
    exported = await store.export_rules()
    assert "g, user:a@x.org, role:agent, sales" in exported
    new_version = await store.import_rules(exported, by="cli:t")
    assert await store.export_rules() == exported
    change = await PolicyChange.get(version=new_version)
    assert change.change == "import" and change.before == change.after == {"csv": exported}


async def test_import_keeps_grants_unless_the_file_has_some(seeded) -> None:
    await store.grant_role("user:a@x.org", "agent@sales", by="cli:t")
    rules_only = "p, role:agent, *, customer, read, own, allow\np, role:admin, *, *, *, all, allow\n"
    await store.import_rules(rules_only, by="cli:t")
    policy = await store.current_policy()
    assert len(policy.rules) == 2 and not policy.groups
    assert policy.assignments == [Assignment("user:a@x.org", "role:agent", "sales")]
    await store.import_rules(rules_only + "g, user:b@x.org, role:admin, *\n", by="cli:t")
    assert (await store.current_policy()).assignments == [Assignment("user:b@x.org", "role:admin", "*")]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("p, role:agent, *, customer, read, dept, allow\np, role:agent, *, customer, fly, dept, allow\n"
         "p, role:x, nowhere, customer, read, dept, allow\nq, a\n", ["line 4: unknown rule type 'q'"]),
        ("p, role:agent, *, customer, read, dept, allow\np, role:agent, *, customer, fly, dept, allow\n"
         "p, role:x, nowhere, customer, read, dept, allow\n",
         ["unknown action 'fly'", "unknown department 'nowhere'"]),
        ("p, role:agent, *, customer, read, dept, allow\np, role:agent, *, customer, read, dept, allow\n",
         ["listed twice"]),
        ("g, user:a@x.org, role:agent, sales\n", ["no rules"]),
        ("p, role:agent, *, customer, read, dept, allow\ng, user:a@x.org, role:ghost, sales\n", ["role:ghost has no rules"]),
    ],
)
async def test_invalid_imports_change_nothing_and_list_every_problem(seeded, text: str, fragments: list[str]) -> None:
    before = await snapshot()
    with pytest.raises(DomainError) as caught:
        await store.import_rules(text, by="cli:t")
    assert len(caught.value.problems) == len(fragments)
    for fragment in fragments:
        assert fragment in str(caught.value), (fragment, str(caught.value))
    assert await snapshot() == before


async def test_only_subjects_allowed_to_manage_the_policy_may_change_it(seeded) -> None:
    rep = Actor("user", "rep@x.org", agent_id=None, grants=(RoleGrant("manager", "sales"),))
    with pytest.raises(DomainError) as caught:
        await store.add_rule(EXPORT_RULE, by=rep)
    assert caught.value.problems[0].code == ErrorCode.FORBIDDEN
    agent = await make_agent("security@x.org", "sales")
    security = Actor("user", "security@x.org", agent_id=agent.id, grants=(RoleGrant("security-admin", "*"),))
    assert await store.add_rule(EXPORT_RULE, by=security) == 2
    change = await PolicyChange.get(version=2)
    assert change.actor == "user:security@x.org" and change.actor_agent_id == agent.id


async def test_a_failing_hook_does_not_undo_the_change(seeded) -> None:
    async def broken(new_version: int) -> None:
        raise ConnectionError("redis is down")

    store.on_policy_changed.append(broken)
    assert await store.add_rule(EXPORT_RULE, by="cli:t") == 2
    assert await PolicyRule.filter(v3="export", v0="role:agent").exists()


async def test_concurrent_changes_get_distinct_versions(seeded) -> None:
    rules = [Rule(f"role:team{i}", "*", "customer", "read", "dept", "allow") for i in range(8)]
    versions = await asyncio.gather(*(store.add_rule(rule, by="cli:t") for rule in rules))
    assert sorted(versions) == list(range(2, 10))
    assert sorted(await PolicyChange.all().values_list("version", flat=True)) == list(range(1, 10))


async def test_a_security_admin_cannot_grant_roles_to_themselves(seeded) -> None:
    await make_agent("sec@example.com", None, roles=("security-admin@*",))
    me = await actor_for_agent((await make_agent("other@example.com", None)).id)
    security = await actor_for_agent((await __import__("rapport.models", fromlist=["Agent"]).Agent.get(email="sec@example.com")).id)
    with pytest.raises(DomainError) as refused:
        await store.grant_role("user:sec@example.com", "admin@*", by=security)
    assert refused.value.problems[0].code is ErrorCode.FORBIDDEN
    assert not await PolicyRule.filter(ptype="g", v0="user:sec@example.com", v1="role:admin").exists()
    assert me is not None
