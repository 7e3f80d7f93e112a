"""Policy administration through the API (security admins) and Viewer.can, on both legs."""

from __future__ import annotations

import pytest
from tortoise import connections

from rapport.authz import store
from rapport.authz.rules import Rule
from rapport.models import PolicyChange, PolicyRule
from rapport.services.counters import POLICY_VERSION, current_value
from tests.support.graphql import gql
from tests.support.personas import cast

SALES = "user:sales.rep@example.com"
RULE_FIELDS = "id subject department resource action effect scope line"

RULES = f"""query($subject: String, $department: String, $resource: String) {{
  accessRules(subject: $subject, department: $department, resource: $resource) {{ {RULE_FIELDS} }}
}}"""
GRANTS = """query($subject: String, $department: String) {
  roleGrants(subject: $subject, department: $department) { subject role department }
}"""
EXPLAIN = f"""query($subject: String!, $resource: String!, $action: String!, $department: String!, $scope: String) {{
  explainAccess(subject: $subject, resource: $resource, action: $action, department: $department, scope: $scope) {{
    allowed masked scope note matchedRules {{ {RULE_FIELDS} }}
  }}
}}"""
CHANGES = """query($first: Int, $after: String) {
  policyChanges(first: $first, after: $after) { id at change rule version actorSubject actor { id name email active } }
}"""
PAYLOAD = f"rules {{ {RULE_FIELDS} }} grant {{ subject role department }} version errors {{ code message path }}"
ADD = f"mutation($input: AccessRuleInput!) {{ addAccessRule(input: $input) {{ {PAYLOAD} }} }}"
REMOVE = f"mutation($input: AccessRuleInput!) {{ removeAccessRule(input: $input) {{ {PAYLOAD} }} }}"
GRANT = f"mutation($input: RoleGrantInput!) {{ grantRole(input: $input) {{ {PAYLOAD} }} }}"
REVOKE = f"mutation($input: RoleGrantInput!) {{ revokeRole(input: $input) {{ {PAYLOAD} }} }}"
CUSTOMERS = "{ customers(first: 5) { totalCount nodes { name } } }"
CAN = """query($resource: String!, $action: String!, $department: String) {
  viewer { roles can(resource: $resource, action: $action, department: $department) }
}"""

DENY_SALES_CUSTOMERS = {"subject": SALES, "department": "*", "resource": "customer", "action": "read", "effect": "DENY"}


@pytest.fixture
async def people(db, settings):
    return await cast(settings)


async def data(http, query: str, headers, **variables):
    body = (await gql(http, query, headers, **variables)).json()
    assert "errors" not in body, body
    return body["data"]


async def policy_state() -> tuple[int, list[tuple], int]:
    rows = await PolicyRule.all().order_by("id").values_list("ptype", "v0", "v1", "v2", "v3", "v4", "v5")
    return await current_value(connections.get("default"), POLICY_VERSION), rows, await PolicyChange.all().count()


# --- reading ------------------------------------------------------------------------------------------


async def test_security_admin_lists_rules_and_grants(http, people) -> None:
    headers = people["security"].headers
    rules = (await data(http, RULES, headers, subject="role:agent"))["accessRules"]
    assert {"subject": "role:agent", "department": "*", "resource": "customer", "action": "read", "effect": "ALLOW",
            "scope": "dept", "line": "p, role:agent, *, customer, read, dept, allow"} in [
        {k: v for k, v in rule.items() if k != "id"} for rule in rules]
    assert {rule["subject"] for rule in rules} == {"role:agent"}
    assert len({rule["id"] for rule in rules}) == len(rules)

    everything = (await data(http, RULES, headers))["accessRules"]
    assert len(everything) == await PolicyRule.filter(ptype="p").count()
    pii = (await data(http, RULES, headers, resource="customer.pii", department="support"))["accessRules"]
    assert [rule["line"] for rule in pii] == ["p, role:agent, support, customer.pii, read_masked, all, allow"]

    grants = (await data(http, GRANTS, headers, subject=SALES))["roleGrants"]
    assert grants == [{"subject": SALES, "role": "agent", "department": "sales"}]
    in_sales = (await data(http, GRANTS, headers, department="sales"))["roleGrants"]
    assert {(g["subject"], g["role"]) for g in in_sales} == {
        (SALES, "agent"), ("user:sales.other@example.com", "agent"), ("user:sales.lead@example.com", "manager")}


async def test_rule_ids_are_stable_opaque_and_the_same_in_explanations(http, people) -> None:
    headers = people["security"].headers
    first = (await data(http, RULES, headers, subject="role:agent"))["accessRules"]
    again = (await data(http, RULES, headers, subject="role:agent"))["accessRules"]
    assert [r["id"] for r in first] == [r["id"] for r in again]
    assert not any("role:agent" in r["id"] for r in first)  # opaque
    decision = (await data(http, EXPLAIN, headers, subject=SALES, resource="customer.phone", action="read_masked",
                           department="sales"))["explainAccess"]
    by_line = {r["line"]: r["id"] for r in first}
    assert [r["id"] for r in decision["matchedRules"]] == [by_line[r["line"]] for r in decision["matchedRules"]]


async def test_explain_why_a_sales_agent_sees_phones_masked(http, people) -> None:
    decision = (await data(http, EXPLAIN, people["security"].headers, subject=SALES, resource="customer.phone",
                           action="read_masked", department="sales"))["explainAccess"]
    assert decision["allowed"] is True and decision["masked"] is True and decision["scope"] == "dept"
    assert [(r["subject"], r["department"], r["resource"], r["action"], r["scope"], r["effect"])
            for r in decision["matchedRules"]] == [("role:agent", "*", "customer.pii", "read_masked", "dept", "ALLOW")]


async def test_explain_a_denial_names_the_deny_rule(http, people) -> None:
    decision = (await data(http, EXPLAIN, people["security"].headers, subject="user:analyst@example.com",
                           resource="customer.email", action="read", department="*"))["explainAccess"]
    assert decision["allowed"] is False and decision["masked"] is False and decision["scope"] is None
    assert [r["line"] for r in decision["matchedRules"]] == ["p, role:analyst, *, customer.pii, read, all, deny"]

    at_own = (await data(http, EXPLAIN, people["security"].headers, subject="role:agent", resource="customer.title",
                         action="read", department="sales", scope="dept"))["explainAccess"]
    assert at_own["allowed"] is True and "customer read permission applies" in at_own["note"]


async def test_explain_rejects_unknown_names(http, people) -> None:
    body = (await gql(http, EXPLAIN, people["security"].headers, subject="bob", resource="customer.nope",
                      action="fly", department="sales")).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    message = body["errors"][0]["message"]
    assert "malformed subject 'bob'" in message and "unknown resource 'customer.nope'" in message
    assert "unknown action 'fly'" in message


async def _version() -> int:
    return await current_value(connections.get("default"), POLICY_VERSION)


# --- changing -----------------------------------------------------------------------------------------


async def test_a_deny_rule_takes_effect_on_the_next_request_and_removing_it_restores_access(http, people) -> None:
    admin, sales = people["security"].headers, people["sales"].headers
    v0 = await _version()
    assert (await data(http, CUSTOMERS, sales))["customers"]["totalCount"] == 0

    added = (await data(http, ADD, admin, input=DENY_SALES_CUSTOMERS))["addAccessRule"]
    assert added["errors"] == [] and added["version"] == v0 + 1
    assert [r["line"] for r in added["rules"]] == [f"p, {SALES}, *, customer, read, all, deny"]

    body = (await gql(http, CUSTOMERS, sales)).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # ... and only that agent: the other sales agent still reads customers.
    assert (await data(http, CUSTOMERS, people["sales2"].headers))["customers"]["totalCount"] == 0

    why = (await data(http, EXPLAIN, admin, subject=SALES, resource="customer", action="read",
                      department="sales"))["explainAccess"]
    assert why["allowed"] is False and [r["line"] for r in why["matchedRules"]] == [added["rules"][0]["line"]]

    removed = (await data(http, REMOVE, admin, input=DENY_SALES_CUSTOMERS))["removeAccessRule"]
    assert removed["errors"] == [] and removed["version"] == v0 + 2 and removed["rules"] == added["rules"]
    assert (await data(http, CUSTOMERS, sales))["customers"]["totalCount"] == 0


async def test_a_role_can_be_granted_and_revoked(http, people) -> None:
    admin, other = people["security"].headers, people["sales2"].headers
    v0 = await _version()
    grant = {"subject": "user:sales.other@example.com", "role": "manager", "department": "sales"}
    before = (await data(http, CAN, other, resource="customer", action="delete", department="sales"))["viewer"]
    assert before == {"roles": ["agent@sales"], "can": False}

    granted = (await data(http, GRANT, admin, input=grant))["grantRole"]
    assert granted["errors"] == [] and granted["grant"] == grant and granted["version"] == v0 + 1
    assert "p, role:manager, *, customer, delete, dept, allow" in [r["line"] for r in granted["rules"]]
    assert grant in (await data(http, GRANTS, admin, subject=grant["subject"]))["roleGrants"]
    after = (await data(http, CAN, other, resource="customer", action="delete", department="sales"))["viewer"]
    assert after == {"roles": ["agent@sales", "manager@sales"], "can": True}

    again = (await data(http, GRANT, admin, input=grant))["grantRole"]
    assert [e["code"] for e in again["errors"]] == ["DUPLICATE"] and again["version"] is None

    revoked = (await data(http, REVOKE, admin, input={**grant, "role": "role:manager"}))["revokeRole"]
    assert revoked["errors"] == [] and revoked["version"] == v0 + 2
    assert (await data(http, CAN, other, resource="customer", action="delete", department="sales"))["viewer"]["can"] is False
    missing = (await data(http, REVOKE, admin, input=grant))["revokeRole"]
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]


async def test_policy_changes_name_who_made_them(http, people) -> None:
    admin = people["security"].headers
    v0 = await _version()  # the personas' role grants bumped it too
    await data(http, ADD, admin, input=DENY_SALES_CUSTOMERS)
    await data(http, REMOVE, admin, input=DENY_SALES_CUSTOMERS)
    await store.add_rule(Rule("role:agent", "*", "customer", "export", "dept", "allow"), by="cli:ops")

    changes = (await data(http, CHANGES, admin))["policyChanges"]
    assert [(c["change"], c["version"], c["actorSubject"]) for c in changes] == [
        ("add_rule", v0 + 3, "cli:ops"),
        ("remove_rule", v0 + 2, "user:security@example.com"),
        ("add_rule", v0 + 1, "user:security@example.com"),
        ("seed", 1, "system:seed"),
    ]
    security = changes[1]["actor"]
    assert security["email"] == "security@example.com" and security["active"] is True
    assert changes[1]["rule"] == f"p, {SALES}, *, customer, read, all, deny"
    # No agent made the CLI change or the seed: a stand-in agent that names the subject and resolves to nothing.
    assert changes[0]["actor"]["name"] == "cli:ops" and changes[0]["actor"]["active"] is False
    assert changes[3]["actor"]["email"] is None
    node = (await data(http, "query($id: ID!) { node(id: $id) { id } }", admin, id=changes[0]["actor"]["id"]))["node"]
    assert node is None
    assert changes[0]["at"].endswith("+00:00")

    page = (await data(http, CHANGES, admin, first=2))["policyChanges"]
    rest = (await data(http, CHANGES, admin, first=2, after=page[-1]["id"]))["policyChanges"]
    assert [c["version"] for c in page + rest] == [v0 + 3, v0 + 2, v0 + 1, 1]
    too_many = (await gql(http, CHANGES, admin, first=101)).json()
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- refusing -----------------------------------------------------------------------------------------

QUERIES = {
    "accessRules": (RULES, {}),
    "roleGrants": (GRANTS, {}),
    "explainAccess": (EXPLAIN, {"subject": SALES, "resource": "customer", "action": "read", "department": "sales"}),
    "policyChanges": (CHANGES, {}),
}
MUTATIONS = {
    "addAccessRule": (ADD, {"input": DENY_SALES_CUSTOMERS}),
    "removeAccessRule": (REMOVE, {"input": {**DENY_SALES_CUSTOMERS, "subject": "role:agent", "effect": "ALLOW", "scope": "dept"}}),
    "grantRole": (GRANT, {"input": {"subject": "user:sales.rep@example.com", "role": "admin", "department": "*"}}),
    "revokeRole": (REVOKE, {"input": {"subject": "user:sales.other@example.com", "role": "agent", "department": "sales"}}),
}


@pytest.mark.parametrize("persona", ["sales", "analyst", "lead", "support"])
async def test_everyone_but_security_admins_is_forbidden_every_policy_field(http, people, persona) -> None:
    headers = people[persona].headers
    before = await policy_state()
    for name, (query, variables) in QUERIES.items():
        body = (await gql(http, query, headers, **variables)).json()
        assert body["data"] is None, (name, body)
        assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [("FORBIDDEN", [name])], name
    for name, (query, variables) in MUTATIONS.items():
        payload = (await data(http, query, headers, **variables))[name]
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], name
        assert payload["rules"] == [] and payload["version"] is None
    assert await policy_state() == before


async def test_the_admin_role_may_manage_the_policy_too(http, people) -> None:
    assert (await data(http, RULES, people["admin"].headers, subject="role:admin"))["accessRules"][0]["action"] == "*"


async def test_an_invalid_rule_is_rejected_field_by_field_and_nothing_changes(http, people) -> None:
    admin = people["security"].headers
    before = await policy_state()
    bad = {"subject": "bob", "department": "nowhere", "resource": "customer.nope", "action": "fly",
           "effect": "ALLOW", "scope": "everywhere"}
    errors = (await data(http, ADD, admin, input=bad))["addAccessRule"]["errors"]
    assert {(e["code"], tuple(e["path"])) for e in errors} == {
        ("INVALID", ("input", field)) for field in ("subject", "department", "resource", "action", "scope")}
    messages = " | ".join(e["message"] for e in errors)
    assert "unknown action 'fly'" in messages and "unknown department 'nowhere' (known: " in messages
    assert "unknown scope 'everywhere': use one of own, dept, all" in messages

    duplicate = {"subject": "role:agent", "department": "*", "resource": "customer", "action": "read", "scope": "dept"}
    errors = (await data(http, ADD, admin, input=duplicate))["addAccessRule"]["errors"]
    assert [(e["code"], e["message"]) for e in errors] == [
        ("DUPLICATE", "p, role:agent, *, customer, read, dept, allow exists already")]

    missing = {"subject": "role:agent", "department": "*", "resource": "customer", "action": "delete"}
    errors = (await data(http, REMOVE, admin, input=missing))["removeAccessRule"]["errors"]
    assert [(e["code"], e["message"]) for e in errors] == [
        ("NOT_FOUND", "there is no rule p, role:agent, *, customer, delete, <any scope>, allow")]
    errors = (await data(http, REMOVE, admin, input={**missing, "scope": "dept"}))["removeAccessRule"]["errors"]
    assert [(e["code"], e["message"]) for e in errors] == [
        ("NOT_FOUND", "there is no rule p, role:agent, *, customer, delete, dept, allow")]

    bad_grants = [
        ({"subject": SALES, "role": "ghost", "department": "sales"}, ("input", "role"), "role:ghost has no rules"),
        ({"subject": "key:erp", "role": "agent", "department": "sales"}, ("input", "subject"), "API keys carry"),
        ({"subject": SALES, "role": "Not A Role", "department": "sales"}, ("input", "role"), "malformed role"),
        ({"subject": SALES, "role": "agent", "department": "nowhere"}, ("input", "department"), "unknown department"),
    ]
    for grant, path, text in bad_grants:
        errors = (await data(http, GRANT, admin, input=grant))["grantRole"]["errors"]
        assert [(e["code"], tuple(e["path"])) for e in errors] == [("INVALID", path)], grant
        assert text in errors[0]["message"]
    assert await policy_state() == before


async def test_removing_without_scope_needs_a_single_match(http, people) -> None:
    admin = people["security"].headers
    for scope in ("own", "dept"):
        rule = {"subject": SALES, "department": "sales", "resource": "ticket", "action": "delete", "scope": scope}
        assert (await data(http, ADD, admin, input=rule))["addAccessRule"]["errors"] == []
    rule = {"subject": SALES, "department": "sales", "resource": "ticket", "action": "delete"}
    errors = (await data(http, REMOVE, admin, input=rule))["removeAccessRule"]["errors"]
    assert [(e["code"], e["path"]) for e in errors] == [("INVALID", ["input", "scope"])]
    assert "2 rules match (scopes own, dept)" in errors[0]["message"]
    assert (await data(http, REMOVE, admin, input={**rule, "scope": "own"}))["removeAccessRule"]["errors"] == []
    removed = (await data(http, REMOVE, admin, input=rule))["removeAccessRule"]
    assert removed["errors"] == [] and removed["rules"][0]["scope"] == "dept"


async def test_a_security_admin_cannot_grant_a_role_to_themselves(http, people) -> None:
    admin = people["security"].headers
    before = await policy_state()
    payload = (await data(http, GRANT, admin,
                          input={"subject": "user:security@example.com", "role": "admin", "department": "*"}))["grantRole"]
    assert [(e["code"], e["path"]) for e in payload["errors"]] == [("FORBIDDEN", ["input", "subject"])]
    assert "yourself" in payload["errors"][0]["message"]
    assert await policy_state() == before


# --- Viewer.can ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "resource", "action", "department", "expected"),
    [
        ("sales", "customer", "read", None, True),
        ("sales", "customer", "read", "sales", True),
        ("sales", "customer", "read", "support", False),
        ("sales", "customer", "delete", None, False),
        ("sales", "customer.phone", "read_masked", "sales", True),
        ("sales", "policy", "manage", None, False),
        ("lead", "customer", "delete", "sales", True),
        ("lead", "report.churnRate", "read", None, True),
        ("support", "customer", "read", "sales", True),
        ("analyst", "customer.email", "read", None, False),
        ("analyst", "report.churnRate", "export", None, True),
        ("security", "policy", "manage", None, True),
        ("security", "customer", "read", None, False),
        ("admin", "customer", "delete", "support", True),
    ],
)
async def test_viewer_can_answers_from_the_permission_plan(http, people, persona, resource, action, department, expected) -> None:
    viewer = (await data(http, CAN, people[persona].headers, resource=resource, action=action, department=department))["viewer"]
    assert viewer["can"] is expected


async def test_viewer_can_rejects_unknown_names(http, people) -> None:
    body = (await gql(http, CAN, people["sales"].headers, resource="customer", action="fly")).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and "unknown action 'fly'" in body["errors"][0]["message"]
    body = (await gql(http, CAN, people["sales"].headers, resource="spaceship", action="read")).json()
    assert "unknown resource 'spaceship'" in body["errors"][0]["message"]


async def test_viewer_can_follows_a_policy_change_at_once(http, people) -> None:
    sales = people["sales"].headers
    assert (await data(http, CAN, sales, resource="customer", action="read"))["viewer"]["can"] is True
    await data(http, ADD, people["security"].headers, input=DENY_SALES_CUSTOMERS)
    assert (await data(http, CAN, sales, resource="customer", action="read"))["viewer"]["can"] is False
