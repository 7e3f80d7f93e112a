"""Separation of duties through the API: a policy change that would widen its author's own access is
refused with FORBIDDEN and audited, and the author's access stays as it was (both legs)."""

from __future__ import annotations

import json

import pytest

from rapport.auth.actor import RoleGrant
from rapport.auth.apikeys import create_api_key
from rapport.authz import store
from rapport.authz.rules import Rule
from rapport.models import AuditEntry, Customer, Department
from tests.graphql.test_policies import ADD, GRANT, REMOVE, REVOKE, data, policy_state
from tests.support.graphql import gql
from tests.support.personas import cast

SECURITY = "user:security@example.com"
CUSTOMER_DENY = Rule("role:security-admin", "*", "customer", "*", "all", "deny")
CUSTOMER_DENY_INPUT = {"subject": "role:security-admin", "department": "*", "resource": "customer", "action": "*",
                       "scope": "all", "effect": "DENY"}
READ_ALL_CUSTOMERS = {"subject": SECURITY, "department": "*", "resource": "customer", "action": "read",
                      "scope": "all", "effect": "ALLOW"}
ANALYST_FOR_MY_ROLE = {"subject": "role:security-admin", "role": "analyst", "department": "*"}
CUSTOMERS = "{ customers(first: 50) { totalCount nodes { name email phone } } }"
CAN = "query($resource: String!, $action: String!) { viewer { can(resource: $resource, action: $action) } }"
ASKED = [("customer", "read"), ("customer.email", "read"), ("report.churnRate", "read"), ("ticket", "read"),
         ("policy", "manage")]


@pytest.fixture
async def people(db, settings):
    cast_ = await cast(settings)
    sales = await Department.get(code="sales")
    await Customer.create(name="Ann Secret", email="ann.secret@example.org", phone="+14155552671", department=sales)
    return cast_


async def access(http, headers) -> tuple:
    """What the caller notices: the customers answer (or its error code) and a few Viewer.can answers."""
    body = (await gql(http, CUSTOMERS, headers)).json()
    customers = body["data"] if body.get("data") else [e["extensions"]["code"] for e in body["errors"]]
    can = [(await data(http, CAN, headers, resource=r, action=a))["viewer"]["can"] for r, a in ASKED]
    return customers, can


async def refusals() -> list[AuditEntry]:
    return await AuditEntry.filter(action=store.REFUSED_ACTION).order_by("id")


def assert_refused(payload: dict) -> None:
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], payload
    assert "widen your own access" in payload["errors"][0]["message"]
    assert payload["version"] is None and payload["rules"] == []


# Each change of the report, in a policy where it would take effect on its own (an operator set that up).
REPORTED = {
    "grant a role to the caller's own role": (
        None, GRANT, "grantRole", ANALYST_FOR_MY_ROLE, "grant_role", "g, role:security-admin, role:analyst, *"),
    "remove the deny on the caller's own role": (
        "analyst", REMOVE, "removeAccessRule", CUSTOMER_DENY_INPUT, "remove_rule", CUSTOMER_DENY.csv()),
    "add a rule naming the caller": (
        "no deny", ADD, "addAccessRule", READ_ALL_CUSTOMERS, "add_rule",
        "p, user:security@example.com, *, customer, read, all, allow"),
}


@pytest.mark.parametrize("case", list(REPORTED))
async def test_a_change_widening_the_callers_own_access_is_refused_audited_unchanged(http, people, case) -> None:
    setup, mutation, name, variables, change, line = REPORTED[case]
    if setup == "analyst":  # the security admin also holds analyst: only their role's deny keeps customers out
        await store.grant_role(SECURITY, "analyst@*", by="cli:ops")
    elif setup == "no deny":
        await store.remove_rule(CUSTOMER_DENY, by="cli:ops")
    headers = people["security"].headers
    before, state = await access(http, headers), await policy_state()

    assert_refused((await data(http, mutation, headers, input=variables))[name])

    assert await policy_state() == state
    assert await access(http, headers) == before
    (entry,) = await refusals()
    assert (entry.actor, entry.entity, entry.entity_id) == (SECURITY, "policy", "rules")
    assert entry.data["change"] == change and entry.data["rule"] == line and entry.data["widens"]
    recorded = json.dumps(entry.data)
    assert "Ann" not in recorded and "ann.secret" not in recorded and "+1415" not in recorded  # no personal data


async def test_the_reported_sequence_leaves_the_security_admin_where_they_were(http, people) -> None:
    headers = people["security"].headers
    before = await access(http, headers)
    assert before[0] == ["FORBIDDEN"]
    codes = []
    for mutation, name, variables in ((REMOVE, "removeAccessRule", CUSTOMER_DENY_INPUT),
                                      (ADD, "addAccessRule", READ_ALL_CUSTOMERS),
                                      (GRANT, "grantRole", ANALYST_FOR_MY_ROLE)):
        codes.append([e["code"] for e in (await data(http, mutation, headers, input=variables))[name]["errors"]])
    # The deny guarded nothing the role was allowed: removing it changed nothing, so it went ahead; the two
    # changes that would then have opened customers (and reports) were refused.
    assert codes == [[], ["FORBIDDEN"], ["FORBIDDEN"]]
    assert await access(http, headers) == before
    assert len(await refusals()) == 2


async def test_a_role_inherited_two_links_away_counts(http, people) -> None:
    await store.add_rule(Rule("role:auditor", "*", "audit", "read", "all", "allow"), by="cli:ops")
    await store.grant_role("role:security-admin", "auditor@*", by="cli:ops")
    headers = people["security"].headers
    before, state = await access(http, headers), await policy_state()
    grant = {"subject": "role:auditor", "role": "analyst", "department": "*"}
    assert_refused((await data(http, GRANT, headers, input=grant))["grantRole"])
    assert await policy_state() == state and await access(http, headers) == before
    # Once the link to the caller is gone, the same grant no longer reaches them and goes ahead.
    await store.revoke_role("role:security-admin", "auditor@*", by="cli:ops")
    assert (await data(http, GRANT, headers, input=grant))["grantRole"]["errors"] == []


async def test_revoking_a_role_that_holds_the_caller_back_is_refused(http, people) -> None:
    await store.add_rule(Rule("role:restricted", "*", "report.*", "read", "all", "deny"), by="cli:ops")
    await store.grant_role(SECURITY, "analyst@*", by="cli:ops")
    await store.grant_role(SECURITY, "restricted@*", by="cli:ops")
    headers = people["security"].headers
    revoke = {"subject": SECURITY, "role": "restricted", "department": "*"}
    assert_refused((await data(http, REVOKE, headers, input=revoke))["revokeRole"])


async def test_changes_that_do_not_widen_the_caller_go_ahead(http, people) -> None:
    headers = people["security"].headers
    before = await access(http, headers)
    allowed = [
        (ADD, "addAccessRule", {"subject": "role:security-admin", "department": "*", "resource": "audit",
                                "action": "export", "scope": "all", "effect": "DENY"}),
        (GRANT, "grantRole", {"subject": "user:sales.other@example.com", "role": "analyst", "department": "*"}),
        (GRANT, "grantRole", {"subject": "role:agent", "role": "analyst", "department": "*"}),  # not the caller's
        (ADD, "addAccessRule", {"subject": "role:agent", "department": "*", "resource": "customer",
                                "action": "delete", "scope": "own", "effect": "ALLOW"}),
        (REVOKE, "revokeRole", {"subject": "user:sales.rep@example.com", "role": "agent", "department": "sales"}),
    ]
    for mutation, name, variables in allowed:
        assert (await data(http, mutation, headers, input=variables))[name]["errors"] == [], variables
    assert await access(http, headers) == before and await refusals() == []
    # A narrowing of the caller's own access goes ahead too, and is then what the caller has.
    deny_manage = {"subject": SECURITY, "department": "*", "resource": "policy", "action": "manage",
                    "scope": "all", "effect": "DENY"}
    assert (await data(http, ADD, headers, input=deny_manage))["addAccessRule"]["errors"] == []
    assert (await access(http, headers))[1][-1] is False


async def test_an_admin_holding_every_permission_may_add_allows_but_not_lift_its_own_deny(http, people) -> None:
    headers = people["admin"].headers
    extra = {"subject": "user:admin@example.com", "department": "*", "resource": "customer", "action": "export",
             "scope": "all", "effect": "ALLOW"}
    assert (await data(http, ADD, headers, input=extra))["addAccessRule"]["errors"] == []  # equal: nothing widens
    await store.add_rule(Rule("role:admin", "*", "customer.pii", "read", "all", "deny"), by="cli:ops")
    lift = {"subject": "role:admin", "department": "*", "resource": "customer.pii", "action": "read",
            "scope": "all", "effect": "DENY"}
    assert_refused((await data(http, REMOVE, headers, input=lift))["removeAccessRule"])
    (entry,) = await refusals()
    assert entry.actor == "user:admin@example.com" and "customer.email shown in full" in entry.data["widens"]


async def test_an_api_key_is_held_to_its_own_roles(http, people) -> None:
    _, raw = await create_api_key("ops", [RoleGrant("security-admin", "*")])
    key = {"Authorization": f"Bearer {raw}"}
    reports = {"subject": "key:ops", "department": "*", "resource": "report.*", "action": "read", "scope": "all",
               "effect": "ALLOW"}
    assert_refused((await data(http, ADD, key, input=reports))["addAccessRule"])
    assert_refused((await data(http, GRANT, key, input=ANALYST_FOR_MY_ROLE))["grantRole"])
    assert [entry.actor for entry in await refusals()] == ["key:ops", "key:ops"]
    # Agents' roles are not the key's: granting one to an agent changes nothing the key can do.
    other = {"subject": "user:sales.other@example.com", "role": "analyst", "department": "*"}
    assert (await data(http, GRANT, key, input=other))["grantRole"]["errors"] == []
