"""Permission plans: what an actor may do, per resource, row and field."""

from __future__ import annotations

import pytest

from rapport.auth.actor import Actor, RoleGrant
from rapport.authz.enforcer import CompiledPolicy
from rapport.authz.model import default_policy_text
from rapport.authz.plan import PermissionPlan, RowScope
from rapport.authz.rules import Rule, parse_policy


def actor(*roles: str, name: str = "someone@x.org", agent_id: int | None = 7, kind: str = "user") -> Actor:
    return Actor(kind, name, agent_id=agent_id, grants=tuple(RoleGrant.parse(role) for role in roles))


@pytest.fixture
def plan(default_policy: CompiledPolicy):
    def make(*roles: str, **kwargs) -> PermissionPlan:
        return PermissionPlan(actor(*roles, **kwargs), default_policy)

    return make


def test_row_scope_empty() -> None:
    assert RowScope().empty and not RowScope(all=True).empty
    assert not RowScope(own_in=frozenset({"*"})).empty
    assert RowScope(departments=frozenset({"sales"})).covers("sales", False)
    assert not RowScope(own_in=frozenset({"sales"})).covers("sales", False)
    assert RowScope(own_in=frozenset({"*"})).covers("vip", True)


def test_agent_in_sales(plan) -> None:
    p = plan("agent@sales")
    assert p.row_scope("customer") == RowScope(departments=frozenset({"sales"}))
    assert p.row_scope("customer", "update") == RowScope(own_in=frozenset({"sales"}))
    assert p.row_scope("customer", "delete").empty
    assert p.allows("customer", "create", "sales") and not p.allows("customer", "create", "marketing")
    assert p.allows("ticket", "update") and not p.allows("ticket", "manage")
    assert not p.allows("report.churnRate", "read") and not p.allows("policy", "manage")
    assert p.field_mode("customer.email", "sales", True) == "full"
    assert p.field_mode("customer.email", "sales", False) == "masked"
    assert p.field_mode("customer.address", "sales", False) == "masked"
    assert p.field_mode("customer.email", "marketing", True) == "hidden"  # the row is out of reach
    assert p.field_mode("customer.title", "sales", False) == "full"  # not personal data: the row's read
    assert p.field_mode("customer.title", "marketing", False) == "hidden"


def test_agent_in_support_reads_every_department_masked(plan) -> None:
    p = plan("agent@support")
    assert p.row_scope("customer") == RowScope(all=True)
    assert p.row_scope("ticket") == RowScope(departments=frozenset({"support"}))
    assert p.field_mode("customer.phone", "sales", False) == "masked"
    assert p.field_mode("customer.phone", "support", True) == "full"
    assert p.field_mode("customer.phone", "sales", True) == "masked"  # own PII in full only in support


def test_manager(plan) -> None:
    p = plan("manager@sales")
    assert p.row_scope("customer", "delete") == RowScope(departments=frozenset({"sales"}))
    assert p.field_mode("customer.email", "sales", False) == "full"
    assert p.allows("ticket", "manage", "sales") and not p.allows("ticket", "manage", "support")
    assert p.allows("report.churnRate", "read", "sales") and not p.allows("report.churnRate", "read", "vip")


def test_analyst_sees_everything_but_personal_data(plan) -> None:
    p = plan("analyst@*")
    assert p.row_scope("customer").all and p.row_scope("ticket").all and p.row_scope("interaction").all
    assert p.row_scope("customer", "update").empty
    for field in ("customer.email", "customer.phone", "customer.address"):
        assert p.field_mode(field, "sales", False) == "hidden"
    assert p.field_mode("customer.title", "vip", False) == "full"
    assert p.allows("report.satisfaction", "export", "finance")


def test_security_admin_has_no_customer_data(plan) -> None:
    p = plan("security-admin@*")
    assert p.allows("policy", "manage") and p.allows("audit", "read")
    assert p.row_scope("customer").empty and p.row_scope("ticket").empty and p.row_scope("interaction").empty
    assert p.reach("customer", "read").denied
    assert p.field_mode("customer.email", "sales", True) == "hidden"


def test_admin_everything(plan) -> None:
    p = plan("admin@*")
    assert p.row_scope("customer", "delete").all and p.allows("policy", "manage")
    assert p.field_mode("customer.phone", "vip", False) == "full"


def test_several_grants_combine_and_denies_override_within_a_department(plan) -> None:
    p = plan("agent@sales", "manager@marketing")
    assert p.row_scope("customer") == RowScope(departments=frozenset({"sales", "marketing"}))
    assert p.row_scope("customer", "update") == RowScope(departments=frozenset({"marketing"}), own_in=frozenset({"sales"}))
    assert p.field_mode("customer.email", "marketing", False) == "full"
    assert p.field_mode("customer.email", "sales", False) == "masked"
    # the analyst's deny on personal data holds in every department the person acts in
    both = plan("agent@sales", "analyst@*")
    assert both.row_scope("customer").all
    assert both.field_mode("customer.email", "sales", True) == "hidden"


def test_agent_held_everywhere_reaches_own_rows_anywhere(plan) -> None:
    p = plan("agent@*")
    assert p.row_scope("customer").all  # dept scope in "*" = every department
    assert p.row_scope("customer", "update") == RowScope(own_in=frozenset({"*"}))


def test_no_grants_no_access(plan) -> None:
    p = plan()
    assert p.row_scope("customer").empty and not p.allows("customer", "read")
    assert p.field_mode("customer.title", "sales", False) == "hidden"
    with pytest.raises(ValueError):
        p.field_mode("customer", "sales", False)


def test_rules_written_for_a_person_or_a_key() -> None:
    policy = parse_policy(default_policy_text())
    policy.rules += [
        Rule("user:auditor@x.org", "finance", "customer", "read", "dept", "allow"),
        Rule("key:erp", "*", "report.*", "read", "all", "allow"),
        Rule("user:auditor@x.org", "*", "customer.title", "read", "all", "deny"),
    ]
    compiled = CompiledPolicy(policy, 1)
    person = PermissionPlan(actor(name="auditor@x.org"), compiled)
    assert person.row_scope("customer") == RowScope(departments=frozenset({"finance"}))
    assert person.field_mode("customer.title", "finance", False) == "hidden"  # denied by a rule
    assert person.field_mode("customer.company", "finance", False) == "full"
    key = PermissionPlan(actor(kind="key", name="erp", agent_id=None), compiled)
    assert key.allows("report.churnRate", "read", "vip") and not key.allows("customer", "read")


def test_questions_are_answered_once(plan, monkeypatch) -> None:
    p = plan("agent@sales")
    calls = 0
    decide = p.compiled.decide

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return decide(*args, **kwargs)

    monkeypatch.setattr(p.compiled, "decide", counting)
    p.field_mode("customer.email", "sales", False)
    first = calls
    assert first > 0
    for _ in range(100):
        p.field_mode("customer.email", "sales", False)
        p.row_scope("customer")
    assert calls == first


def test_materialize_answers_every_known_pair(plan) -> None:
    p = plan("agent@sales").materialize()
    assert ("customer", "read") in p._reaches and ("report.churnRate", "manage") in p._reaches
    assert p.summary()["customer"] == {"read": "sales", "read_masked": "sales", "create": "sales", "update": "own@sales"}
