"""Expected decisions (``policies/cases.csv``) and checking a policy against them.

The file is CSV with a header ``subject,department,resource,action,scope,expected``; ``expected`` is
``allow`` or ``deny``; blank lines and lines starting with ``#`` are skipped. Each row is one casbin
request: SUBJECT acting in DEPARTMENT does ACTION on RESOURCE reaching SCOPE.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from rapport.authz.enforcer import CompiledPolicy
from rapport.authz.model import ACTIONS, SCOPES
from rapport.authz.rules import Rule

HEADER = ["subject", "department", "resource", "action", "scope", "expected"]


class CasesError(ValueError):
    """The cases file is malformed (the message says where)."""


@dataclass(frozen=True)
class Case:
    subject: str
    department: str
    resource: str
    action: str
    scope: str
    expected: bool
    line: int = 0

    def __str__(self) -> str:
        return f"{self.subject} {self.department} {self.resource} {self.action} {self.scope}"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    allowed: bool
    rule: Rule | None  # the deciding rule

    @property
    def passed(self) -> bool:
        return self.allowed == self.case.expected


def parse_cases(text: str) -> list[Case]:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise CasesError("no cases")
    header_number, header = lines[0]
    if [part.strip() for part in header.split(",")] != HEADER:
        raise CasesError(f"line {header_number}: the header must be {','.join(HEADER)}")
    cases: list[Case] = []
    for number, line in lines[1:]:
        (row,) = list(csv.reader(io.StringIO(line)))
        values = [value.strip() for value in row]
        if len(values) != len(HEADER):
            raise CasesError(f"line {number}: {len(HEADER)} values expected, found {len(values)}")
        subject, department, resource, action, scope, expected = values
        if expected not in ("allow", "deny"):
            raise CasesError(f"line {number}: expected must be allow or deny, not {expected!r}")
        if scope not in SCOPES:
            raise CasesError(f"line {number}: unknown scope {scope!r}")
        if action not in ACTIONS:
            raise CasesError(f"line {number}: unknown action {action!r}")
        cases.append(Case(subject, department, resource, action, scope, expected == "allow", number))
    return cases


def run_cases(compiled: CompiledPolicy, cases: list[Case]) -> list[CaseResult]:
    results = []
    for case in cases:
        subjects = compiled.subjects_for(case.subject, case.department)
        verdict = compiled.decide(subjects, case.department, case.resource, case.action, case.scope)
        results.append(CaseResult(case, verdict.allowed, verdict.rule))
    return results


def failures_table(results: list[CaseResult]) -> str:
    """The failed cases as an aligned text table (empty string when none failed)."""
    failed = [result for result in results if not result.passed]
    if not failed:
        return ""
    rows = [["line", "subject", "department", "resource", "action", "scope", "expected", "got", "deciding rule"]]
    for result in failed:
        case = result.case
        rows.append([
            str(case.line), case.subject, case.department, case.resource, case.action, case.scope,
            "allow" if case.expected else "deny", "allow" if result.allowed else "deny",
            result.rule.csv() if result.rule else "(no rule matched)",
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows) + "\n"
