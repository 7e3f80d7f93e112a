"""GraphQL types of the access policy: rules, role grants, decisions and the change log."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry
from strawberry.relay import GlobalID

from rapport import models
from rapport.authz.explain import Decision
from rapport.authz.rules import ROLE_PREFIX, Assignment, Rule
from rapport.graphql.core.errors import FieldError
from rapport.graphql.core.ids import to_global_id
from rapport.graphql.org.types import Agent


@strawberry.enum(description="What a rule does when it matches: deny overrides any number of allows.")
class PolicyEffect(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


def rule_id(rule: Rule) -> str:
    """A rule's id: its content (a rule is unique by its values), so the id survives export/import and
    is the same in every process. Opaque to clients like every other id."""
    return str(GlobalID("AccessRule", ",".join(rule.values)))


@strawberry.type(description="One access rule (a casbin `p` line): SUBJECT acting in DEPARTMENT may (ALLOW) or may "
                 "not (DENY) do ACTION on RESOURCE, reaching SCOPE.")
class AccessRule:
    id: strawberry.ID = strawberry.field(description="Stable opaque id derived from the rule's content.")
    subject: str = strawberry.field(description="`user:<email>`, `role:<name>` or `key:<api key name>`.")
    department: str = strawberry.field(description="A department code, or `*` for every department.")
    resource: str = strawberry.field(description="e.g. `customer`, `customer.phone`, `customer.pii`, `report.*`, `policy`.")
    action: str = strawberry.field(description="read, read_masked, create, update, delete, export, manage, or `*`.")
    effect: PolicyEffect
    scope: str = strawberry.field(description="How far the rule reaches: own, dept or all.")
    line: str = strawberry.field(description='The rule as a line of policy.csv, e.g. "p, role:agent, *, customer, read, dept, allow".')

    @classmethod
    def from_rule(cls, rule: Rule) -> AccessRule:
        return cls(
            id=strawberry.ID(rule_id(rule)),
            subject=rule.subject,
            department=rule.department,
            resource=rule.resource,
            action=rule.action,
            effect=PolicyEffect(rule.effect),
            scope=rule.scope,
            line=rule.csv(),
        )


@strawberry.type(name="RoleGrant", description="A subject holds a role in a department (`*` = every department).")
class RoleGrantType:
    subject: str = strawberry.field(description="`user:<email>`, or `role:<name>` for a role that inherits another.")
    role: str = strawberry.field(description="The role's name, e.g. `agent` (rules name it `role:agent`).")
    department: str

    @classmethod
    def from_assignment(cls, line: Assignment) -> RoleGrantType:
        return cls(subject=line.subject, role=line.role.removeprefix(ROLE_PREFIX), department=line.department)


@strawberry.type(description="A decision and the rules behind it: the answer to \"why can X see Y?\".")
class AccessDecision:
    allowed: bool
    masked: bool = strawberry.field(description="For field resources: allowed only in masked form.")
    matched_rules: list[AccessRule] = strawberry.field(
        description="The rules that decided: the allows when allowed, the denies when denied by a rule."
    )
    scope: str | None = strawberry.field(
        description="The scope decided for: the one asked, or else the widest allowed one (null: denied at every scope)."
    )
    note: str | None = strawberry.field(description="How the decision was reached when it is not a plain rule match.")

    @classmethod
    def from_decision(cls, decision: Decision) -> AccessDecision:
        return cls(
            allowed=decision.allowed,
            masked=decision.masked,
            matched_rules=[AccessRule.from_rule(rule) for rule in decision.matched_rules],
            scope=decision.scope,
            note=decision.note or None,
        )


def stand_in_agent(subject: str) -> Agent:
    """The agent shown for a change no agent made (``cli:<login>``, ``system:seed``, an API key, or an
    agent since deleted): id ``Agent:0`` (no such agent: ``node`` returns null), name = the subject,
    inactive, no email, no department."""
    email = subject.removeprefix("user:") if subject.startswith("user:") else None
    return Agent(id=0, name=subject, email=email, active=False, department_id=None)


@strawberry.type(description="One change to the access policy, newest first in policyChanges.")
class PolicyChange:
    id: strawberry.ID
    at: datetime
    actor: Agent = strawberry.field(
        description="The agent who made the change. Changes made without an agent (the CLI, the seed, an API key) "
        "show a stand-in: id of no agent (node() returns null), name = actorSubject, active false."
    )
    actor_subject: str = strawberry.field(
        description='Who made the change, always: "user:<email>", "key:<name>", "cli:<login>" or "system:seed".'
    )
    change: str = strawberry.field(description="add_rule, remove_rule, grant_role, revoke_role, import or seed.")
    rule: str = strawberry.field(description="The rule or grant as a policy.csv line (or a summary for import and seed).")
    version: int = strawberry.field(description="The policy version this change produced.")

    @classmethod
    def from_model(cls, row: models.PolicyChange, agent: models.Agent | None) -> PolicyChange:
        return cls(
            id=strawberry.ID(to_global_id("PolicyChange", row.id)),
            at=row.at,
            actor=Agent.from_model(agent) if agent is not None else stand_in_agent(row.actor),
            actor_subject=row.actor,
            change=row.change,
            rule=row.rule,
            version=row.version,
        )


@strawberry.type(description="The result of a policy change: the rules concerned, or why nothing changed.")
class PolicyPayload:
    rules: list[AccessRule] = strawberry.field(
        default_factory=list,
        description="addAccessRule/removeAccessRule: the rule added or removed. grantRole/revokeRole: the rules of the "
        "role granted or revoked (what the subject gains or loses). Empty on errors.",
    )
    errors: list[FieldError] = strawberry.field(default_factory=list)
    grant: RoleGrantType | None = strawberry.field(default=None, description="grantRole/revokeRole: the grant concerned.")
    version: int | None = strawberry.field(default=None, description="The new policy version; null when nothing changed.")
