"""Policy lines as values: rules (``p``), role grants (``g``) and field groups (``g2``), their CSV form,
and the checks that need no database (names, actions, scopes, effects, resources).

A policy file is casbin's CSV: one line per rule, values separated by commas, ``#`` starts a comment::

    g2, customer.email, customer.pii
    p, role:agent, *, customer, read, dept, allow
    g, user:sales.rep@demo.example.com, role:agent, sales
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rapport.authz.model import (
    ACTIONS,
    ANY,
    DEPARTMENT_RE,
    EFFECTS,
    ROLE_RE,
    SCOPES,
    SUBJECT_RE,
    known_resource,
    row_resource_of,
)
from rapport.services.errors import DomainError, ErrorCode, Problem

ROLE_PREFIX = "role:"


@dataclass(frozen=True, slots=True)
class Rule:
    """``p``: SUBJECT acting in DEPARTMENT may (allow) or may not (deny) do ACTION on RESOURCE, reaching SCOPE."""

    subject: str
    department: str
    resource: str
    action: str
    scope: str
    effect: str

    ptype = "p"

    @property
    def values(self) -> list[str]:
        return [self.subject, self.department, self.resource, self.action, self.scope, self.effect]

    def csv(self) -> str:
        return ", ".join([self.ptype, *self.values])

    def __str__(self) -> str:
        return self.csv()


@dataclass(frozen=True, slots=True)
class Assignment:
    """``g``: SUBJECT holds ROLE (``role:<name>``) in DEPARTMENT (``*`` = every department)."""

    subject: str
    role: str
    department: str

    ptype = "g"

    @property
    def values(self) -> list[str]:
        return [self.subject, self.role, self.department]

    def csv(self) -> str:
        return ", ".join([self.ptype, *self.values])

    def __str__(self) -> str:
        return self.csv()


@dataclass(frozen=True, slots=True)
class FieldGroup:
    """``g2``: field resource MEMBER belongs to GROUP (``customer.email`` to ``customer.pii``)."""

    member: str
    group: str

    ptype = "g2"

    @property
    def values(self) -> list[str]:
        return [self.member, self.group]

    def csv(self) -> str:
        return ", ".join([self.ptype, *self.values])

    def __str__(self) -> str:
        return self.csv()


Line = Rule | Assignment | FieldGroup
_ARITY = {"p": 6, "g": 3, "g2": 2}
_ORDER = ("g2", "p", "g")


def line_from_values(ptype: str, values: Iterable[str]) -> Line:
    """A line from casbin values (trailing empty values, as stored in v3..v5, are ignored)."""
    items = list(values)
    while items and items[-1] == "":
        items.pop()
    if ptype not in _ARITY:
        raise ValueError(f"unknown rule type {ptype!r} (expected p, g or g2)")
    if len(items) != _ARITY[ptype]:
        raise ValueError(f"a {ptype} line has {_ARITY[ptype]} values, this one has {len(items)}")
    if ptype == "p":
        return Rule(*items)
    if ptype == "g":
        return Assignment(*items)
    return FieldGroup(*items)


@dataclass
class Policy:
    """A whole policy: rules, field groups and role grants, in file (or table) order."""

    rules: list[Rule] = field(default_factory=list)
    groups: list[FieldGroup] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)

    def __iter__(self) -> Iterator[Line]:
        yield from self.groups
        yield from self.rules
        yield from self.assignments

    def __len__(self) -> int:
        return len(self.rules) + len(self.groups) + len(self.assignments)

    def add(self, line: Line) -> None:
        if isinstance(line, Rule):
            self.rules.append(line)
        elif isinstance(line, Assignment):
            self.assignments.append(line)
        else:
            self.groups.append(line)

    @classmethod
    def of(cls, lines: Iterable[Line]) -> Policy:
        policy = cls()
        for line in lines:
            policy.add(line)
        return policy

    def rows(self) -> list[tuple[str, list[str]]]:
        """(ptype, values) for casbin and the table."""
        return [(line.ptype, line.values) for line in self]

    def group_names(self) -> frozenset[str]:
        return frozenset(group.group for group in self.groups)

    def to_csv(self) -> str:
        """The CSV form: field groups, rules, role grants, each under a comment."""
        out: list[str] = []
        for title, lines in (
            ("field groups (g2): field resource, group", self.groups),
            ("rules (p): subject, department, resource, action, scope, effect", self.rules),
            ("role grants (g): subject, role, department", self.assignments),
        ):
            if lines:
                if out:
                    out.append("")
                out.append(f"# {title}")
                out.extend(line.csv() for line in lines)
        return "\n".join(out) + "\n" if out else ""


def parse_policy(text: str) -> Policy:
    """Parse casbin CSV; raise DomainError (INVALID, every malformed line with its number) otherwise."""
    policy = Policy()
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if '"' in line:
            problems.append(_problem(number, "quotes are not allowed in policy values"))
            continue
        ptype, *values = [part.strip() for part in line.split(",")]
        try:
            policy.add(line_from_values(ptype, values))
        except ValueError as exc:
            problems.append(_problem(number, str(exc)))
    if problems:
        raise DomainError(problems)
    return policy


def _problem(number: int, message: str) -> Problem:
    return Problem(ErrorCode.INVALID, f"line {number}: {message}", ("policy", str(number)))


def problems_of(line: Line, groups: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """What is wrong with one line, in words (empty when nothing is). No database needed: department
    codes are only checked for form here (the store checks that they exist)."""
    found: list[str] = []
    if isinstance(line, Rule):
        if not SUBJECT_RE.match(line.subject):
            found.append(f"malformed subject {line.subject!r}: use user:<email>, role:<name> or key:<name>")
        if line.department != ANY and not DEPARTMENT_RE.match(line.department):
            found.append(f"malformed department {line.department!r}: use a department code or *")
        if not known_resource(line.resource, groups):
            found.append(f"unknown resource {line.resource!r}")
        if line.action not in ACTIONS and line.action != ANY:
            found.append(f"unknown action {line.action!r}: use one of {', '.join(ACTIONS)} or *")
        if line.scope not in SCOPES:
            found.append(f"unknown scope {line.scope!r}: use one of {', '.join(SCOPES)}")
        if line.effect not in EFFECTS:
            found.append(f"unknown effect {line.effect!r}: use allow or deny")
    elif isinstance(line, Assignment):
        if not SUBJECT_RE.match(line.subject):
            found.append(f"malformed subject {line.subject!r}: use user:<email>, key:<name> or role:<name>")
        name = line.role.removeprefix(ROLE_PREFIX)
        if not line.role.startswith(ROLE_PREFIX) or not ROLE_RE.match(name):
            found.append(f"malformed role {line.role!r}: use role:<name>, e.g. role:agent")
        if line.department != ANY and not DEPARTMENT_RE.match(line.department):
            found.append(f"malformed department {line.department!r}: use a department code or *")
    else:
        if row_resource_of(line.member) is None or not known_resource(line.member):
            found.append(f"field group member {line.member!r} is not a field resource such as customer.email")
        if row_resource_of(line.group) is None or "*" in line.group:
            found.append(f"field group {line.group!r} must be named like <row>.<name>, e.g. customer.pii")
        elif row_resource_of(line.group) != row_resource_of(line.member):
            found.append(f"field group {line.group!r} and member {line.member!r} belong to different resources")
    return [f"{line.csv()}: {message}" for message in found]
