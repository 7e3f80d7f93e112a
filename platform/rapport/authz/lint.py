"""Findings about a policy that is valid casbin but probably not what its author meant.

``check(policy)`` lists, in words: malformed or unknown subjects, resources, actions, scopes and
effects; lines written twice; role grants for roles that have no rules; allow rules that a deny rule of
the same subject always overrides; deny rules written with a scope other than ``all`` (denies apply at
every scope); role grants to API keys (keys carry their roles themselves).
"""

from __future__ import annotations

from casbin.util.builtin_operators import key_match

from rapport.authz.model import ALL, ANY, DENY, PII_GROUP, action_covers
from rapport.authz.rules import ROLE_PREFIX, Assignment, Policy, Rule, parse_policy, problems_of


def check(policy: Policy | str) -> list[str]:
    """Findings, one sentence each (empty = nothing to report)."""
    if isinstance(policy, str):
        policy = parse_policy(policy)
    findings: list[str] = []
    groups = policy.group_names() | {PII_GROUP}
    for line in policy:
        findings.extend(problems_of(line, groups))

    seen: set[object] = set()
    for line in policy:
        if line in seen:
            findings.append(f"{line.csv()}: listed more than once")
        seen.add(line)

    findings.extend(_roles_without_rules(policy))
    findings.extend(_shadowed_allows(policy))
    for rule in policy.rules:
        if rule.effect == DENY and rule.scope != ALL:
            findings.append(
                f"{rule.csv()}: deny rules apply at every scope, write {ALL} (the scope {rule.scope!r} is ignored)"
            )
    for assignment in policy.assignments:
        if assignment.subject.startswith("key:"):
            findings.append(f"{assignment.csv()}: API keys carry their roles themselves (rapport apikey create --role)")
    return findings


def _roles_without_rules(policy: Policy) -> list[str]:
    with_rules = {rule.subject for rule in policy.rules}
    inherits: dict[str, set[str]] = {}
    for assignment in policy.assignments:
        inherits.setdefault(assignment.subject, set()).add(assignment.role)

    def has_rules(role: str, seen: frozenset[str] = frozenset()) -> bool:
        if role in with_rules:
            return True
        return any(has_rules(parent, seen | {role}) for parent in inherits.get(role, ()) if parent not in seen)

    findings: list[str] = []
    reported: set[str] = set()
    for assignment in policy.assignments:
        role = assignment.role
        if role.startswith(ROLE_PREFIX) and not has_rules(role) and role not in reported:
            reported.add(role)
            findings.append(f"{assignment.csv()}: {role} is granted but has no rules (it allows nothing)")
    return findings


def _covers_resource(pattern: str, resource: str, members: dict[str, set[str]]) -> bool:
    return pattern == resource or key_match(resource, pattern) or resource in members.get(pattern, set())


def _shadowed_allows(policy: Policy) -> list[str]:
    members: dict[str, set[str]] = {}
    for group in policy.groups:
        members.setdefault(group.group, set()).add(group.member)
    denies = [rule for rule in policy.rules if rule.effect == DENY]
    findings: list[str] = []
    for allow in policy.rules:
        if allow.effect == DENY:
            continue
        for deny in denies:
            if (
                deny.subject == allow.subject
                and deny.department in (ANY, allow.department)
                and _covers_resource(deny.resource, allow.resource, members)
                and action_covers(deny.action, allow.action)
            ):
                findings.append(f"{allow.csv()}: never takes effect, {deny.csv()} overrides it")
                break
    return findings


__all__ = ["Assignment", "Rule", "check"]
