"""Findings about a policy."""

from __future__ import annotations

from rapport.authz.lint import check
from rapport.authz.model import default_policy_text


def test_the_default_policy_has_no_findings() -> None:
    assert check(default_policy_text()) == []


def test_findings() -> None:
    text = default_policy_text() + "\n".join([
        "p, role:agent, *, customer, read, dept, allow",            # duplicate
        "p, role:agent, *, customers, read, dept, allow",           # unknown resource
        "p, role:agent, *, customer, view, dept, allow",            # unknown action
        "p, role:agent, *, customer, read, team, allow",            # unknown scope
        "p, role:intern, *, customer.email, read, dept, allow",     # shadowed by the deny below
        "p, role:intern, *, customer.pii, *, all, deny",
        "p, role:intern, sales, ticket, read, dept, deny",          # deny with a scope other than all
        "g, user:a@x.org, role:ghost, sales",                       # role without rules
        "g, key:erp, role:agent, sales",                            # grants to keys
        "g, user:b@x.org, role:lead, *",
        "g, role:lead, role:agent, *",                              # lead inherits agent: has rules
    ]) + "\n"
    findings = check(text)
    expected = [
        "p, role:agent, *, customers, read, dept, allow: unknown resource 'customers'",
        "p, role:agent, *, customer, view, dept, allow: unknown action 'view'",
        "p, role:agent, *, customer, read, team, allow: unknown scope 'team'",
        "p, role:agent, *, customer, read, dept, allow: listed more than once",
        "g, user:a@x.org, role:ghost, sales: role:ghost is granted but has no rules",
        "p, role:intern, *, customer.email, read, dept, allow: never takes effect, "
        "p, role:intern, *, customer.pii, *, all, deny overrides it",
        "p, role:intern, sales, ticket, read, dept, deny: deny rules apply at every scope",
        "g, key:erp, role:agent, sales: API keys carry their roles themselves",
    ]
    for fragment in expected:
        assert any(finding.startswith(fragment) for finding in findings), (fragment, findings)
    assert not any("role:lead" in finding for finding in findings)
    assert len(findings) == len(expected)
