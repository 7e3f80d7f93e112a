"""Policy lines, their CSV form and the checks that need no database."""

from __future__ import annotations

import pytest

from rapport.authz.model import default_policy_text
from rapport.authz.rules import Assignment, FieldGroup, Policy, Rule, line_from_values, parse_policy, problems_of
from rapport.services.errors import DomainError, ErrorCode


def test_parse_the_default_policy() -> None:
    policy = parse_policy(default_policy_text())
    assert len(policy.groups) == 3 and len(policy.rules) >= 30 and not policy.assignments
    assert Rule("role:admin", "*", "*", "*", "all", "allow") in policy.rules
    assert FieldGroup("customer.email", "customer.pii") in policy.groups


def test_csv_round_trip() -> None:
    policy = Policy.of([
        Rule("role:agent", "*", "customer", "read", "dept", "allow"),
        FieldGroup("customer.email", "customer.pii"),
        Assignment("user:a@b.c", "role:agent", "sales"),
    ])
    text = policy.to_csv()
    assert text.splitlines()[1] == "g2, customer.email, customer.pii"  # groups first, then rules, then grants
    again = parse_policy(text)
    assert again == policy and again.to_csv() == text
    assert Policy().to_csv() == ""


def test_parse_reports_every_malformed_line_with_its_number() -> None:
    text = "# comment\np, role:agent, *, customer, read, dept, allow\nq, x\np, role:agent, *, customer\n\ng, \"a\", b, c\n"
    with pytest.raises(DomainError) as caught:
        parse_policy(text)
    messages = [problem.message for problem in caught.value.problems]
    assert [message.split(":")[0] for message in messages] == ["line 3", "line 4", "line 6"]
    assert all(problem.code == ErrorCode.INVALID for problem in caught.value.problems)
    assert "unknown rule type 'q'" in messages[0] and "has 6 values, this one has 3" in messages[1]


def test_stored_rows_with_trailing_empty_values() -> None:
    assert line_from_values("g", ["user:a@b.c", "role:agent", "sales", "", "", ""]) == Assignment("user:a@b.c", "role:agent", "sales")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (Rule("agent", "*", "customer", "read", "dept", "allow"), "malformed subject"),
        (Rule("user:nobody", "*", "customer", "read", "dept", "allow"), "malformed subject"),
        (Rule("role:agent", "sales dept", "customer", "read", "dept", "allow"), "malformed department"),
        (Rule("role:agent", "*", "customers", "read", "dept", "allow"), "unknown resource 'customers'"),
        (Rule("role:agent", "*", "customer", "view", "dept", "allow"), "unknown action 'view'"),
        (Rule("role:agent", "*", "customer", "read", "team", "allow"), "unknown scope 'team'"),
        (Rule("role:agent", "*", "customer", "read", "dept", "permit"), "unknown effect 'permit'"),
        (Assignment("user:a@b.c", "agent", "sales"), "malformed role"),
        (FieldGroup("customer", "customer.pii"), "not a field resource"),
        (FieldGroup("customer.email", "ticket.pii"), "different resources"),
    ],
)
def test_problems_name_the_mistake(line, fragment: str) -> None:
    problems = problems_of(line)
    assert problems and fragment in problems[0], problems
    assert problems[0].startswith(line.csv())


def test_valid_lines_have_no_problems() -> None:
    for line in parse_policy(default_policy_text()):
        assert problems_of(line) == []
    assert problems_of(Rule("key:erp-sync", "sales", "report.*", "export", "all", "deny")) == []
    assert problems_of(Assignment("role:lead", "role:agent", "*")) == []
