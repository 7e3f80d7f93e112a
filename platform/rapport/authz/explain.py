"""Why a subject may or may not do something: the decision and the rules behind it.

``department`` is the request's department: where the subject holds the role it acts through (for
``role:`` subjects, the department to evaluate the role in). ``scope`` is how far the request reaches
(own rows, the department's rows, every department's rows); without it the widest allowed scope is
reported. ``explain_scopes()`` answers all three.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rapport.authz.enforcer import CompiledPolicy, get_engine
from rapport.authz.model import ALL, DEPT, OWN, PII_FIELDS, READ, READ_MASKED, row_resource_of
from rapport.authz.rules import Rule

__all__ = ["Decision", "Rule", "explain", "explain_in", "explain_scopes", "explain_scopes_in"]

_WIDEST_FIRST = (ALL, DEPT, OWN)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    masked: bool  # allowed only in masked form (read_masked), for field resources
    matched_rules: list[Rule] = field(default_factory=list)  # the rules that decided (allows, or the denies)
    scope: str | None = None  # the scope decided for (the widest allowed one when none was asked)
    note: str = ""  # how the decision was reached, when it is not a plain rule match


def explain_in(
    compiled: CompiledPolicy, subject: str, resource: str, action: str, department: str, scope: str | None = None
) -> Decision:
    """The decision for one request under ``compiled`` (see module doc)."""
    if scope is None:
        decisions = explain_scopes_in(compiled, subject, resource, action, department)
        for candidate in _WIDEST_FIRST:
            if decisions[candidate].allowed:
                return decisions[candidate]
        return replace(decisions[OWN], scope=None)  # denied at every scope
    return _decide(compiled, subject, resource, action, department, scope)


def explain_scopes_in(
    compiled: CompiledPolicy, subject: str, resource: str, action: str, department: str
) -> dict[str, Decision]:
    """The decision at each scope, widest first."""
    return {scope: _decide(compiled, subject, resource, action, department, scope) for scope in _WIDEST_FIRST}


async def explain(
    subject: str, resource: str, action: str, department: str, scope: str | None = None
) -> Decision:
    """The decision under the process-wide engine's current policy."""
    return explain_in(await get_engine().current(), subject, resource, action, department, scope)


async def explain_scopes(subject: str, resource: str, action: str, department: str) -> dict[str, Decision]:
    return explain_scopes_in(await get_engine().current(), subject, resource, action, department)


def _decide(compiled: CompiledPolicy, subject: str, resource: str, action: str, department: str, scope: str) -> Decision:
    subjects = compiled.subjects_for(subject, department)

    def rules_for(act: str, denied: bool) -> list[Rule]:
        matched = compiled.matching_rules(subjects, department, resource, act, scope)
        return [rule for rule in matched if (rule.effect == "deny") == denied]

    verdict = compiled.decide(subjects, department, resource, action, scope)
    field_of = row_resource_of(resource)
    if verdict.allowed:
        return Decision(True, action == READ_MASKED and field_of is not None, rules_for(action, False), scope)
    if field_of is not None and action == READ and not verdict.denied:
        masked = compiled.decide(subjects, department, resource, READ_MASKED, scope)
        if masked.allowed:
            return Decision(True, True, rules_for(READ_MASKED, False), scope, f"{resource} may be read masked only")
    if verdict.denied:
        return Decision(False, False, rules_for(action, True), scope)
    governed = resource in compiled.group_members or resource in PII_FIELDS
    if field_of is not None and action in (READ, READ_MASKED) and not governed:
        row = compiled.decide(subjects, department, field_of, READ, scope)
        if row.allowed or row.denied:
            return Decision(
                row.allowed,
                False,
                [rule for rule in compiled.matching_rules(subjects, department, field_of, READ, scope)
                 if (rule.effect == "deny") != row.allowed],
                scope,
                f"no rule names {resource}: the {field_of} read permission applies",
            )
    return Decision(False, False, [], scope, "no rule allows it")



def format_decisions(
    subject: str, resource: str, action: str, department: str, decisions: dict[str, Decision]
) -> str:
    """Plain text for people (``rapport policy explain``): one paragraph per scope, widest first."""
    lines = [f"{subject} acting in {department}: {action} {resource}"]
    for scope, decision in decisions.items():
        verdict = "allowed" if decision.allowed else "denied"
        if decision.masked:
            verdict += ", masked"
        if decision.note and not decision.masked:
            verdict += f" ({decision.note})"
        lines.append(f"  {scope + ':':5} {verdict}")
        lines.extend(f"         {rule.csv()}" for rule in decision.matched_rules)
    return "\n".join(lines) + "\n"
