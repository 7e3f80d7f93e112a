"""The compiled policy (FastEnforcer by subject) and the engine that reloads on a version change."""

from __future__ import annotations

import itertools

from tortoise.transactions import in_transaction

from rapport.authz.enforcer import CompiledPolicy, PolicyEngine, build_plain_enforcer, get_engine
from rapport.authz.model import ACTIONS, SCOPES, default_policy_text
from rapport.authz.rules import Assignment, Policy, Rule, parse_policy
from rapport.models import PolicyRule
from rapport.services.counters import POLICY_VERSION, next_value

GRANTS = [
    Assignment("user:rep@x.org", "role:agent", "sales"),
    Assignment("user:sup@x.org", "role:agent", "support"),
    Assignment("user:an@x.org", "role:analyst", "*"),
    Assignment("user:lead@x.org", "role:manager", "sales"),
    Assignment("user:both@x.org", "role:agent", "sales"),
    Assignment("user:both@x.org", "role:analyst", "*"),
    Assignment("role:lead", "role:agent", "*"),
    Assignment("user:inherits@x.org", "role:lead", "marketing"),
]


def _with_grants(extra_rules: list[Rule] = ()) -> Policy:
    policy = parse_policy(default_policy_text())
    policy.assignments.extend(GRANTS)
    policy.rules.extend(extra_rules)
    return policy


def test_fast_decisions_equal_casbins_plain_enforcer_on_every_request() -> None:
    """The subject-indexed fast path must decide exactly like casbin evaluating every rule."""
    policy = _with_grants([Rule("user:rep@x.org", "*", "customer.phone", "read", "all", "deny")])
    compiled = CompiledPolicy(policy, 1)
    plain = build_plain_enforcer(policy.rows())
    subjects = ["user:rep@x.org", "user:sup@x.org", "user:an@x.org", "user:lead@x.org", "user:both@x.org",
                "user:inherits@x.org", "role:admin", "role:security-admin", "user:nobody@x.org"]
    departments = ["sales", "support", "*"]
    resources = ["customer", "customer.email", "customer.phone", "customer.pii", "customer.title", "ticket",
                 "interaction", "report.churnRate", "policy", "audit"]
    checked = 0
    for subject, dom, resource, action, scope in itertools.product(subjects, departments, resources, ACTIONS, SCOPES):
        assert compiled.enforce(subject, dom, resource, action, scope) == plain.enforce(
            subject, dom, resource, action, scope), (subject, dom, resource, action, scope)
        checked += 1
    assert checked > 5_000


def test_roles_held_in_star_apply_in_every_department_and_roles_inherit() -> None:
    compiled = CompiledPolicy(_with_grants(), 1)
    assert compiled.roles_of("user:an@x.org", "marketing") == ["role:analyst"]
    assert compiled.roles_of("user:rep@x.org", "marketing") == []
    assert compiled.roles_of("user:inherits@x.org", "marketing") == ["role:lead", "role:agent"]
    assert compiled.subjects_for("key:erp", "sales", ["role:agent"]) == ["key:erp", "role:agent"]
    assert compiled.enforce("user:inherits@x.org", "marketing", "customer", "read", "dept")
    assert not compiled.enforce("user:inherits@x.org", "sales", "customer", "read", "dept")


def test_deny_overrides_allow_across_the_roles_held_in_a_department() -> None:
    compiled = CompiledPolicy(_with_grants(), 1)
    # agent@sales alone reads own customers' email; with analyst@* too, the analyst's deny wins in sales.
    assert compiled.enforce("user:rep@x.org", "sales", "customer.email", "read", "own")
    verdict = compiled.decide(compiled.subjects_for("user:both@x.org", "sales"), "sales", "customer.email", "read", "own")
    assert not verdict.allowed and verdict.denied
    assert verdict.rule == Rule("role:analyst", "*", "customer.pii", "read", "all", "deny")


def test_matching_rules_lists_every_match() -> None:
    compiled = CompiledPolicy(_with_grants(), 1)
    rules = compiled.matching_rules(["role:agent"], "support", "customer", "read", "own")
    assert rules == [Rule("role:agent", "*", "customer", "read", "dept", "allow"),
                     Rule("role:agent", "support", "customer", "read", "all", "allow")]
    # the fast enforcer is left as it was
    assert compiled.enforce("role:agent", "sales", "customer", "read", "dept")


async def _store(rows: list[tuple[str, list[str]]]) -> int:
    async with in_transaction() as conn:
        for ptype, values in rows:
            await PolicyRule.create(ptype=ptype, **{f"v{i}": v for i, v in enumerate(values)}, using_db=conn)
        return await next_value(conn, POLICY_VERSION)


async def test_engine_reloads_when_the_stored_version_changes(db) -> None:
    engine = PolicyEngine(poll_interval=3600)
    compiled = await engine.current()
    assert compiled.version == 0 and not compiled.policy.rules
    assert not compiled.enforce("role:agent", "sales", "customer", "read", "dept")  # no rules: deny

    version = await _store([("p", ["role:agent", "*", "customer", "read", "dept", "allow"])])
    assert (await engine.current()) is compiled  # not polled yet (poll interval)
    assert await engine.reload_if_stale() is True
    assert engine.version == version == 1
    assert engine.compiled.enforce("role:agent", "sales", "customer", "read", "dept")
    assert await engine.reload_if_stale() is False


async def test_engine_polls_at_most_every_interval_and_reloads_after_invalidate(db) -> None:
    engine = PolicyEngine(poll_interval=0)
    first = await engine.current()
    await _store([("p", ["role:agent", "*", "ticket", "read", "dept", "allow"])])
    second = await engine.current()  # interval 0: checks every time
    assert second is not first and second.version == 1
    engine.poll_interval = 3600
    engine.invalidate()
    assert (await engine.current()) is not second  # invalidate forces a rebuild even at the same version


async def test_plans_are_cached_per_actor_and_dropped_on_reload(db) -> None:
    from rapport.auth.actor import Actor, RoleGrant

    await _store([("p", ["role:agent", "*", "customer", "read", "dept", "allow"])])
    engine = get_engine()
    actor = Actor("user", "rep@x.org", agent_id=1, department="sales", grants=(RoleGrant("agent", "sales"),))
    plan = await engine.plan_for(actor)
    assert await engine.plan_for(actor) is plan
    assert plan.row_scope("customer").departments == {"sales"}
    await _store([("p", ["role:agent", "*", "customer", "read", "all", "allow"])])
    engine.invalidate()
    fresh = await engine.plan_for(actor)
    assert fresh is not plan and fresh.version == 2 and fresh.row_scope("customer").all


async def test_callers_queued_on_a_due_version_check_share_one_select(db) -> None:
    import asyncio

    from rapport.auth.actor import Actor, RoleGrant
    from rapport.sql_count import count_statements

    await _store([("p", ["role:agent", "*", "customer", "read", "dept", "allow"])])
    engine = PolicyEngine(poll_interval=0.5)
    actor = Actor("user", "rep@x.org", agent_id=1, department="sales", grants=(RoleGrant("agent", "sales"),))
    await engine.plan_for(actor)
    await asyncio.sleep(0.6)  # the poll interval has passed: the next callers find the check due
    with count_statements() as counter:
        plans = await asyncio.gather(*(engine.plan_for(actor) if i % 2 else engine.current() for i in range(20)))
    assert counter.count == 1, counter.statements  # one version SELECT for all twenty, not one each
    assert all(plan is plans[1] for plan in plans[1::2])

    await _store([("p", ["role:agent", "*", "ticket", "read", "dept", "allow"])])
    await asyncio.sleep(0.6)
    with count_statements() as counter:
        await asyncio.gather(*(engine.plan_for(actor) for _ in range(20)))
    versions = [s for s in counter.statements if "policy_version" in s]
    # A changed version: one check, then one reload (which reads the version again before the rules).
    assert len(versions) == 2, counter.statements
    assert engine.version == 2


async def test_concurrent_requests_after_the_poll_interval_read_the_version_once(db, settings, http) -> None:
    import asyncio

    from rapport.sql_count import count_statements
    from tests.support.graphql import gql
    from tests.support.personas import cast

    people = await cast(settings)
    engine = get_engine()
    engine.poll_interval = 60  # no second check while the twenty requests run, however slow the machine
    assert (await gql(http, "{ customers(first: 5) { totalCount } }", people["sales"].headers)).status_code == 200
    engine._checked_at -= 60  # as if the interval had passed since the last check
    with count_statements() as counter:
        responses = await asyncio.gather(*(gql(http, "{ customers(first: 5) { totalCount } }", people[name].headers)
                                           for name in ("sales", "sales2", "lead", "support") * 5))
    assert all(response.status_code == 200 for response in responses)
    checks = [statement for statement in counter.statements if "policy_version" in statement]
    assert len(checks) == 1, checks  # one check for all twenty requests
