"""Separation of duties, decided by comparing the author's permissions before and after a change.

No database: the comparison is a function of the author and two policies."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rapport.auth.actor import Actor, RoleGrant
from rapport.authz.enforcer import CompiledPolicy
from rapport.authz.model import ACTIONS, RESOURCES, default_policy_text
from rapport.authz.plan import PermissionPlan
from rapport.authz.rules import Assignment, FieldGroup, Line, Policy, Rule, parse_policy
from rapport.authz.self_elevation import UNNAMED_DEPARTMENT, actor_under, widening

SECURITY = "user:security@x.org"
ME = Actor("user", "security@x.org", grants=(RoleGrant("security-admin", "*"),))


def default_with(*extra: Line) -> Policy:
    policy = parse_policy(default_policy_text())
    policy.add(Assignment(SECURITY, "role:security-admin", "*"))
    for line in extra:
        policy.add(line)
    return policy


def changed(policy: Policy, *, add: tuple[Line, ...] = (), remove: tuple[Line, ...] = ()) -> Policy:
    after = copy.deepcopy(policy)
    for line in remove:
        {Rule: after.rules, Assignment: after.assignments, FieldGroup: after.groups}[type(line)].remove(line)
    for line in add:
        after.add(line)
    return after


CUSTOMER_DENY = Rule("role:security-admin", "*", "customer", "*", "all", "deny")
READ_ALL_CUSTOMERS = Rule(SECURITY, "*", "customer", "read", "all", "allow")


# --- the changes of the report, each where it would take effect --------------------------------------


def test_a_role_granted_to_the_callers_role_widens_and_says_what() -> None:
    before = default_with()
    widened = widening(ME, before, changed(before, add=(Assignment("role:security-admin", "role:analyst", "*"),)))
    assert widened
    assert "read report.churnRate" in widened.summary(limit=100)


def test_removing_the_deny_that_holds_the_caller_back_widens() -> None:
    # The caller also holds analyst: only the security-admin deny keeps customers out of reach.
    before = default_with(Assignment(SECURITY, "role:analyst", "*"))
    widened = widening(ME, before, changed(before, remove=(CUSTOMER_DENY,)))
    assert "read customer" in widened.summary(limit=100)
    assert all(point[1] != "customer.email" for point, _ in widened.points if point[0] == "field")  # analyst: no PII


def test_a_rule_naming_the_caller_widens_once_no_deny_stands_in_the_way() -> None:
    before = changed(default_with(), remove=(CUSTOMER_DENY,))
    widened = widening(ME, before, changed(before, add=(READ_ALL_CUSTOMERS,)))
    assert "read customer" in widened.summary(limit=100)
    assert "customer.title shown in full" in widened.summary(limit=100)


def test_a_rule_a_deny_still_overrides_changes_nothing_the_caller_can_do() -> None:
    before = default_with()
    assert not widening(ME, before, changed(before, add=(READ_ALL_CUSTOMERS,)))


def test_inheritance_two_links_deep_widens() -> None:
    # security-admin inherits auditor (granted by someone else); giving auditor analyst reaches the caller.
    auditor = Rule("role:auditor", "*", "audit", "read", "all", "allow")
    before = default_with(auditor, Assignment("role:security-admin", "role:auditor", "*"))
    assert widening(ME, before, changed(before, add=(Assignment("role:auditor", "role:analyst", "*"),)))


def test_a_role_granted_in_one_department_widens_there() -> None:
    before = default_with()
    widened = widening(ME, before, changed(before, add=(Assignment(SECURITY, "role:agent", "sales"),)))
    departments = {point[3] for point, _ in widened.points if point[0] == "row"}
    assert "sales" in departments and UNNAMED_DEPARTMENT not in departments


def test_taking_a_field_out_of_the_personal_data_group_widens_a_reader_of_the_rows() -> None:
    # An analyst reads customers but never personal data: a title in the group is hidden, out of it shown.
    title_is_pii = FieldGroup("customer.title", "customer.pii")
    before = changed(default_with(Assignment(SECURITY, "role:analyst", "*"), title_is_pii), remove=(CUSTOMER_DENY,))
    widened = widening(ME, before, changed(before, remove=(title_is_pii,)))
    assert widened.summary(limit=100) == ["customer.title shown in full"]
    assert not widening(ME, changed(before, remove=(title_is_pii,)), before)  # putting it in narrows


# --- changes that may go ahead -------------------------------------------------------------------------


def test_narrowing_and_unrelated_changes_do_not_widen() -> None:
    before = default_with()
    for after in (
        changed(before, add=(Rule("role:security-admin", "*", "audit", "read", "all", "deny"),)),
        changed(before, add=(Assignment("user:bob@x.org", "role:analyst", "*"),)),
        changed(before, add=(Assignment("role:agent", "role:analyst", "*"),)),  # agents, not the caller
        changed(before, add=(Rule("role:agent", "*", "customer", "delete", "dept", "allow"),)),
        changed(before, remove=(Rule("role:security-admin", "*", "audit", "read", "all", "allow"),)),
        changed(before, remove=(CUSTOMER_DENY,)),  # nothing allows customers to the caller: nothing opens
    ):
        assert not widening(ME, before, after)


def test_an_admin_holding_everything_may_add_allows() -> None:
    admin = Actor("user", "admin@x.org", grants=(RoleGrant("admin", "*"),))
    before = default_with(Assignment("user:admin@x.org", "role:admin", "*"))
    after = changed(before, add=(Rule("user:admin@x.org", "*", "customer", "export", "all", "allow"),
                                 Assignment("role:admin", "role:analyst", "*")))
    assert not widening(admin, before, after)
    # ... and a deny the admin removes again after adding it restores what the admin had, no more.
    denied = changed(before, add=(Rule("role:admin", "*", "customer", "export", "all", "deny"),))
    assert widening(admin, denied, before)


def test_an_api_keys_roles_are_its_own() -> None:
    key = Actor("key", "ops", grants=(RoleGrant("security-admin", "*"),))
    before = default_with()
    assert actor_under(key, changed(before, add=(Assignment("key:ops", "role:admin", "*"),))) == key
    assert widening(key, before, changed(before, add=(Rule("key:ops", "*", "report.*", "read", "all", "allow"),)))
    assert widening(key, before, changed(before, add=(Assignment("role:security-admin", "role:analyst", "*"),)))
    assert not widening(key, before, changed(before, add=(Assignment(SECURITY, "role:analyst", "*"),)))


# --- the property: refused exactly when something observable widens -------------------------------------

SUBJECTS = ("user:me@x.org", "role:a", "role:b", "role:c", "user:other@x.org", "key:k")
DEPARTMENTS = ("*", "sales", "support")
DEPARTMENTS_ASKED = ("sales", "support", "marketing")  # marketing: named by no rule
RULE_RESOURCES = ("customer", "customer.pii", "customer.email", "customer.title", "report.churnRate", "report.*",
                  "ticket", "policy", "*")
FIELDS = ("customer.email", "customer.phone", "customer.title", "customer.name", "ticket.status")

rules = st.builds(
    Rule,
    st.sampled_from(SUBJECTS),
    st.sampled_from(DEPARTMENTS),
    st.sampled_from(RULE_RESOURCES),
    st.sampled_from(("read", "read_masked", "update", "*")),
    st.sampled_from(("own", "dept", "all")),
    st.sampled_from(("allow", "deny")),
)
assignments = st.builds(
    Assignment,
    st.sampled_from(SUBJECTS[:5]),  # keys hold no g rows
    st.sampled_from(("role:a", "role:b", "role:c")),
    st.sampled_from(DEPARTMENTS),
)
groups = st.sampled_from((FieldGroup("customer.title", "customer.pii"), FieldGroup("customer.email", "customer.pii")))
lines = st.one_of(rules, rules, assignments, groups)


def observable(actor: Actor, policy: Policy) -> set[tuple]:
    """What a request of ``actor`` can notice under ``policy``, asked through the plan's public questions."""
    return observable_in(PermissionPlan(actor_under(actor, policy), CompiledPolicy(policy, 0)))


def observable_in(plan: PermissionPlan) -> set[tuple]:
    seen: set[tuple] = set()
    for resource in RESOURCES:
        for action in ACTIONS:
            for department in DEPARTMENTS_ASKED:
                if plan.allows(resource, action, department):
                    seen.add(("may", resource, action, department))
                for own in (False, True):
                    if plan.row_scope(resource, action).covers(department, own):
                        seen.add(("rows", resource, action, department, own))
    for field in FIELDS:
        for department in DEPARTMENTS_ASKED:
            for own in (False, True):
                mode = plan.field_mode(field, department, own)
                # a field shown in full is also shown at least masked: modes as sets of what one sees
                for seen_as in {"hidden": (), "masked": ("masked",), "full": ("masked", "full")}[mode]:
                    seen.add(("field", field, department, own, seen_as))
    return seen


@st.composite
def a_change(draw):
    before = Policy.of(dict.fromkeys(draw(st.lists(lines, max_size=12))))
    if before.rules and draw(st.booleans()):
        removed = draw(st.sampled_from([*before.rules, *before.assignments, *before.groups]))
        return before, changed(before, remove=(removed,))
    added = draw(lines.filter(lambda line: line not in list(before)))
    return before, changed(before, add=(added,))


actors = st.sampled_from((
    Actor("user", "me@x.org"),
    Actor("key", "k", grants=(RoleGrant("a", "*"),)),
    Actor("key", "k", grants=(RoleGrant("b", "sales"),)),
))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actors, a_change())
def test_refused_exactly_when_the_callers_observable_permissions_grow(actor: Actor, change: tuple) -> None:
    before, after = change
    assert bool(widening(actor, before, after)) == (not observable(actor, after) <= observable(actor, before))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actors, st.lists(lines, max_size=12), rules.filter(lambda rule: rule.effect == "deny"))
def test_adding_a_deny_never_widens(actor: Actor, base: list[Line], deny: Rule) -> None:
    # Except a deny naming the actor itself in a department: see the test below.
    assume(deny.subject != actor.subject or deny.department == "*")
    before = Policy.of(dict.fromkeys(base))
    if deny not in before.rules:
        assert not widening(actor, before, changed(before, add=(deny,)))


def test_a_deny_that_opens_a_department_to_the_callers_roles_is_refused_like_any_widening() -> None:
    """A plan acts in the departments of the actor's grants and of rules naming the actor itself. A deny
    naming the actor in sales makes the sales rules of its roles held in * apply: the plan widens, and
    the comparison, which looks at what the plan gives and not at the kind of line, refuses it."""
    key = Actor("key", "k", grants=(RoleGrant("a", "*"),))
    before = Policy.of([Rule("role:a", "sales", "customer", "read", "own", "allow")])
    after = changed(before, add=(Rule("key:k", "sales", "customer", "read_masked", "own", "deny"),))
    assert "read customer" in widening(key, before, after).summary()
