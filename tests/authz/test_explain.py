"""Explanations: the decision and the rules behind it."""

from __future__ import annotations

from rapport.authz.enforcer import CompiledPolicy, PolicyEngine, set_engine
from rapport.authz.explain import Decision, explain, explain_in, explain_scopes_in, format_decisions
from rapport.authz.model import default_policy_text
from rapport.authz.rules import Assignment, Rule, parse_policy

AGENT_PII_OWN = Rule("role:agent", "*", "customer.pii", "read", "own", "allow")
AGENT_PII_MASKED = Rule("role:agent", "*", "customer.pii", "read_masked", "dept", "allow")
ANALYST_PII_DENY = Rule("role:analyst", "*", "customer.pii", "read", "all", "deny")


def test_plain_allow_lists_the_rule(default_policy) -> None:
    decision = explain_in(default_policy, "role:manager", "report.churnRate", "read", "sales")
    assert decision == Decision(True, False, [Rule("role:manager", "*", "report.*", "read", "dept", "allow")], "dept")


def test_field_read_in_full_or_masked_by_scope(default_policy) -> None:
    decisions = explain_scopes_in(default_policy, "role:agent", "customer.email", "read", "sales")
    assert list(decisions) == ["all", "dept", "own"]
    assert not decisions["all"].allowed and decisions["all"].matched_rules == []
    assert decisions["dept"].allowed and decisions["dept"].masked and decisions["dept"].matched_rules == [AGENT_PII_MASKED]
    assert decisions["own"].allowed and not decisions["own"].masked and decisions["own"].matched_rules == [AGENT_PII_OWN]
    widest = explain_in(default_policy, "role:agent", "customer.email", "read", "sales")
    assert widest.scope == "dept" and widest.masked
    asked = explain_in(default_policy, "role:agent", "customer.email", "read_masked", "sales", scope="dept")
    assert asked.allowed and asked.masked


def test_deny_lists_the_deny_rule(default_policy) -> None:
    decision = explain_in(default_policy, "role:analyst", "customer.phone", "read_masked", "*")
    assert not decision.allowed and decision.scope is None and decision.matched_rules == [ANALYST_PII_DENY]


def test_nothing_allows(default_policy) -> None:
    decision = explain_in(default_policy, "role:agent", "policy", "manage", "sales", scope="all")
    assert decision == Decision(False, False, [], "all", "no rule allows it")


def test_fields_without_rules_follow_the_row(default_policy) -> None:
    decision = explain_in(default_policy, "role:agent", "customer.title", "read", "sales", scope="dept")
    assert decision.allowed and not decision.masked
    assert decision.matched_rules == [Rule("role:agent", "*", "customer", "read", "dept", "allow")]
    assert "customer read permission applies" in decision.note
    denied = explain_in(default_policy, "role:security-admin", "customer.title", "read", "*", scope="own")
    assert not denied.allowed and denied.matched_rules == [Rule("role:security-admin", "*", "customer", "*", "all", "deny")]


def test_users_are_explained_through_their_grants() -> None:
    policy = parse_policy(default_policy_text())
    policy.assignments += [Assignment("user:both@x.org", "role:agent", "sales"),
                           Assignment("user:both@x.org", "role:analyst", "*")]
    compiled = CompiledPolicy(policy, 3)
    decision = explain_in(compiled, "user:both@x.org", "customer.email", "read", "sales", scope="own")
    assert not decision.allowed and decision.matched_rules == [ANALYST_PII_DENY]
    allowed = explain_in(compiled, "user:both@x.org", "customer", "read", "sales", scope="all")
    assert allowed.allowed and allowed.matched_rules == [Rule("role:analyst", "*", "customer", "read", "all", "allow")]


async def test_explain_uses_the_process_engine(default_policy) -> None:
    engine = PolicyEngine(poll_interval=3600)
    engine.use(default_policy)
    set_engine(engine)
    decision = await explain("role:admin", "audit", "read", "*")
    assert decision.allowed and decision.scope == "all"


def test_format(default_policy) -> None:
    request = ("role:agent", "customer.email", "read", "sales")
    text = format_decisions(*request, explain_scopes_in(default_policy, *request))
    assert text.splitlines() == [
        "role:agent acting in sales: read customer.email",
        "  all:  denied (no rule allows it)",
        "  dept: allowed, masked",
        "         p, role:agent, *, customer.pii, read_masked, dept, allow",
        "  own:  allowed",
        "         p, role:agent, *, customer.pii, read, own, allow",
    ]
