"""Every expected decision of policies/cases.csv holds under the shipped policy."""

from __future__ import annotations

import pytest

from rapport.authz.cases import Case, CasesError, failures_table, parse_cases, run_cases
from rapport.authz.model import default_cases_text, default_policy_text
from rapport.authz.rules import parse_policy

CASES = parse_cases(default_cases_text())


@pytest.mark.parametrize("case", CASES, ids=[f"line{case.line}:{case}:{'allow' if case.expected else 'deny'}" for case in CASES])
def test_case(case: Case, default_policy) -> None:
    (result,) = run_cases(default_policy, [case])
    assert result.passed, failures_table([result])


def test_the_cases_cover_the_policy() -> None:
    assert len(CASES) >= 60
    roles = {rule.subject for rule in parse_policy(default_policy_text()).rules}
    assert roles <= {case.subject for case in CASES}
    assert sum(not case.expected for case in CASES) >= 25  # denies are tested as much as allows
    pii = [case for case in CASES if case.resource.startswith("customer.")]
    assert {case.action for case in pii} >= {"read", "read_masked"}
    assert {"sales", "support", "*"} <= {case.department for case in CASES}


def test_failures_are_shown_as_a_table(default_policy) -> None:
    cases = parse_cases("subject,department,resource,action,scope,expected\nrole:agent,sales,customer,delete,dept,allow\n")
    results = run_cases(default_policy, cases)
    table = failures_table(results).splitlines()
    assert table[0].split() == ["line", "subject", "department", "resource", "action", "scope", "expected", "got",
                                "deciding", "rule"]
    assert table[1].split()[:8] == ["2", "role:agent", "sales", "customer", "delete", "dept", "allow", "deny"]
    assert "(no rule matched)" in table[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no cases"),
        ("subject,dept\n", "header must be"),
        ("subject,department,resource,action,scope,expected\nrole:agent,sales,customer,read,dept\n", "6 values expected"),
        ("subject,department,resource,action,scope,expected\nrole:agent,sales,customer,read,dept,yes\n", "allow or deny"),
        ("subject,department,resource,action,scope,expected\nrole:agent,sales,customer,read,team,allow\n", "unknown scope"),
        ("subject,department,resource,action,scope,expected\nrole:agent,sales,customer,view,dept,allow\n", "unknown action"),
    ],
)
def test_malformed_cases(text: str, message: str) -> None:
    with pytest.raises(CasesError, match=message):
        parse_cases(text)
