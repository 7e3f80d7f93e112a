"""Separation of duties in the store, the layer every way of changing the policy goes through (both legs)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise import connections

from rapport.auth.authenticate import actor_for_agent
from rapport.authz import store
from rapport.authz.adapter import PolicyRuleAdapter
from rapport.authz.model import default_policy_text
from rapport.authz.plan import plan_for
from rapport.authz.rules import Rule, parse_policy
from rapport.models import AuditEntry, Department, PolicyChange, PolicyRule
from rapport.services.counters import POLICY_VERSION, current_value
from rapport.services.errors import DomainError, ErrorCode
from tests.authz.test_self_elevation import observable_in
from tests.support.graphql import make_agent

SECURITY = "user:sec@example.com"


@pytest.fixture
async def security(db):
    for code in ("sales", "support"):
        await Department.create(code=code, name=code.title())
    assert await store.seed_default_policy()
    agent = await make_agent("sec@example.com", None, roles=("security-admin@*",))
    return await actor_for_agent(agent.id)


async def snapshot() -> tuple[int, int, int, str]:
    version = await current_value(connections.get("default"), POLICY_VERSION)
    return version, await PolicyRule.all().count(), await PolicyChange.all().count(), await store.export_rules()


async def test_an_import_that_widens_its_author_is_refused_and_audited(security) -> None:
    text = default_policy_text().replace("p, role:security-admin, *, customer, *, all, deny\n", "") + (
        f"p, {SECURITY}, *, customer, read, all, allow\n"
    )
    before = await snapshot()
    with pytest.raises(DomainError) as refused:
        await store.import_rules(text, by=security)
    assert [p.code for p in refused.value.problems] == [ErrorCode.FORBIDDEN]
    assert "read customer" in refused.value.problems[0].message
    assert await snapshot() == before
    (entry,) = await AuditEntry.filter(action=store.REFUSED_ACTION)
    assert entry.actor == SECURITY and entry.data["change"] == "import"
    assert entry.data["rule"].startswith("import: ") and "read customer" in entry.data["widens"]

    # An operator at the command line has no access of their own to widen: the same file goes in.
    assert await store.import_rules(text, by="cli:ops") == before[0] + 1


async def test_an_import_that_keeps_its_author_where_they_are_goes_ahead(security) -> None:
    text = default_policy_text() + "p, role:agent, *, customer, delete, own, allow\n"
    before = await current_value(connections.get("default"), POLICY_VERSION)
    assert await store.import_rules(text, by=security) == before + 1
    assert not await AuditEntry.filter(action=store.REFUSED_ACTION).exists()


async def test_a_stale_actor_is_judged_by_the_grants_the_policy_gives_it(security) -> None:
    """The comparison reads the agent's grants from the policy, not from the Actor the request carried."""
    await store.grant_role(SECURITY, "analyst@*", by="cli:ops")  # ``security`` was built before this grant
    with pytest.raises(DomainError) as refused:
        await store.remove_rule(Rule("role:security-admin", "*", "customer", "*", "all", "deny"), by=security)
    assert [p.code for p in refused.value.problems] == [ErrorCode.FORBIDDEN]


async def test_granting_a_role_to_oneself_stays_forbidden_even_when_it_widens_nothing(security) -> None:
    with pytest.raises(DomainError) as refused:
        await store.grant_role(SECURITY, "security-admin@sales", by=security)
    assert refused.value.problems[0].message == "you cannot grant roles to yourself"
    assert not await PolicyRule.filter(ptype="g", v0=SECURITY, v2="sales").exists()
    # ... while a role for someone else is fine.
    before = await current_value(connections.get("default"), POLICY_VERSION)
    assert await store.grant_role("user:bob@example.com", "analyst@*", by=security) == before + 1


async def test_two_changes_at_once_that_widen_only_together_are_not_both_made(security, monkeypatch) -> None:
    """Each is harmless alone (the deny guards no allow; the allow is overridden by the deny); together
    they open every customer. Changes are compared one after the other, so the second sees the first.
    On PostgreSQL that takes the version lock before the comparison; SQLite serializes writers anyway."""
    deny = Rule("role:security-admin", "*", "customer", "*", "all", "deny")
    allow = Rule(SECURITY, "*", "customer", "read", "all", "allow")
    # Hold each change at its write until the other has reached its own (or a second has passed): were
    # the two compared side by side, both would then have read the policy without the other's line.
    arrived, both = [], asyncio.Event()

    def held(write):
        async def wrapper(self, *args):
            arrived.append(args)
            if len(arrived) == 2:
                both.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(both.wait(), 1.0)
            return await write(self, *args)
        return wrapper

    monkeypatch.setattr(PolicyRuleAdapter, "add_policy", held(PolicyRuleAdapter.add_policy))
    monkeypatch.setattr(PolicyRuleAdapter, "remove_policy", held(PolicyRuleAdapter.remove_policy))
    results = await asyncio.gather(store.remove_rule(deny, by=security), store.add_rule(allow, by=security),
                                   return_exceptions=True)
    refused = [result for result in results if isinstance(result, DomainError)]
    assert len(refused) == 1 and refused[0].problems[0].code == ErrorCode.FORBIDDEN, results
    plan = await plan_for(await actor_for_agent(security.agent_id))
    assert plan.row_scope("customer").empty


# --- the property, end to end: whatever a security admin changes, their own access never grows ----------

ME = "user:sec@example.com"
BASE = default_policy_text() + f"g, {ME}, role:security-admin, *\n"
MY_DENIES = [line for line in parse_policy(default_policy_text()).rules if line.subject == "role:security-admin"]
CHANGES = st.one_of(
    st.tuples(st.just("add"), st.builds(
        Rule, st.sampled_from((ME, "role:security-admin", "role:analyst", "role:agent")), st.just("*"),
        st.sampled_from(("customer", "customer.pii", "report.*", "ticket")), st.sampled_from(("read", "*")),
        st.just("all"), st.sampled_from(("allow", "deny")))),
    st.tuples(st.just("remove"), st.sampled_from(MY_DENIES)),
    st.tuples(st.sampled_from(("grant", "revoke")),
              st.sampled_from((ME, "role:security-admin", "role:analyst", "user:bob@example.com")),
              st.sampled_from(("analyst@*", "agent@sales", "manager@sales", "admin@*"))),
)


async def attempt(change: tuple, by) -> str:
    """Make ``change`` as ``by``: "done", "widens" (refused for widening ``by``) or another refusal."""
    kind, *args = change
    call = {"add": store.add_rule, "remove": store.remove_rule, "grant": store.grant_role, "revoke": store.revoke_role}
    try:
        await call[kind](*args, by=by)
    except DomainError as error:
        return "widens" if "widen your own access" in error.problems[0].message else error.problems[0].code.value
    return "done"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(CHANGES, min_size=1, max_size=4))
async def test_no_sequence_of_own_changes_widens_a_security_admins_access(security, changes) -> None:
    await store.import_rules(BASE, by="cli:ops")
    await AuditEntry.filter(action=store.REFUSED_ACTION).delete()

    async def now() -> set[tuple]:
        return observable_in(await plan_for(await actor_for_agent(security.agent_id)))

    start, outcomes = await now(), []
    for change in changes:
        before, policy = await now(), await store.export_rules()
        outcomes.append(await attempt(change, security))
        assert await now() <= before, change  # never more than before the change
        if outcomes[-1] != "done":
            assert await store.export_rules() == policy, change
    assert await now() <= start
    refused = await AuditEntry.filter(action=store.REFUSED_ACTION)
    assert len(refused) == outcomes.count("widens") and all(entry.actor == ME for entry in refused)
