"""Editing the access policy (security admins): rules, role grants, import and export.

Every change is validated first (nothing is written when anything is wrong: ``DomainError`` with code
INVALID, DUPLICATE, NOT_FOUND or FORBIDDEN), then writes the rule rows, a ``PolicyChange`` (who, what,
before, after, version) and the ``policy_version`` bump in one transaction. After the commit this
process's engine is invalidated and every ``on_policy_changed`` hook is awaited with the new version
(the redis notifier registers one; a failing hook is logged, the change stays: workers also poll).

``by`` says who changes: an Actor (an agent or an API key, who must be allowed ``manage`` on ``policy``)
or a string for operators and jobs (``cli:<login>``, ``system:seed``). An Actor's change that would widen
the Actor's own effective permissions is refused (FORBIDDEN) and recorded in the audit trail
(:mod:`rapport.authz.self_elevation` decides); operators and jobs have no permissions to widen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from rapport.auth.actor import Actor, RoleGrant
from rapport.authz.adapter import PolicyRuleAdapter, insert_rows, load_rows
from rapport.authz.model import ANY, PII_GROUP, default_policy_text
from rapport.authz.rules import (
    ROLE_PREFIX,
    Assignment,
    FieldGroup,
    Line,
    Policy,
    Rule,
    line_from_values,
    parse_policy,
    problems_of,
)
from rapport.events.outbox import emit
from rapport.authz.self_elevation import Widening, widening
from rapport.models import Department, PolicyChange, PolicyRule
from rapport.services import audit
from rapport.services.counters import POLICY_VERSION, next_value
from rapport.services.errors import DomainError, ErrorCode, Problem

log = structlog.get_logger("rapport.authz")

PolicyChangedHook = Callable[[int], Awaitable[None]]
on_policy_changed: list[PolicyChangedHook] = []
"""Awaited after each committed change with the new policy version (e.g. publish on redis)."""

By = Actor | str

REFUSED_ACTION = "policy.refused"
"""The audit action of a change refused because it would widen its author's own access."""


# --- reading ------------------------------------------------------------------------------------------


async def current_policy(using_db: BaseDBAsyncClient | None = None) -> Policy:
    """The stored policy: rules, field groups and role grants, in table order."""
    return Policy.of(line_from_values(ptype, values) for ptype, values in await load_rows(using_db))


async def export_rules() -> str:
    """The stored policy as casbin CSV; importing it gives the same policy (and the same export)."""
    return (await current_policy()).to_csv()


async def has_rules(using_db: BaseDBAsyncClient | None = None) -> bool:
    query = PolicyRule.filter(ptype="p")
    return await (query.using_db(using_db) if using_db else query).exists()


# --- validating ---------------------------------------------------------------------------------------


async def _department_codes() -> set[str]:
    return set(await Department.all().values_list("code", flat=True))


def _invalid(message: str, *path: str) -> Problem:
    return Problem(ErrorCode.INVALID, message, tuple(path) or None)


async def validate(lines: Iterable[Line], *, context: Policy, path: str = "rule") -> None:
    """Raise DomainError (INVALID) listing every problem of ``lines``; ``context`` is the policy they
    will be part of (for field groups and known roles)."""
    lines = list(lines)
    groups = context.group_names() | {PII_GROUP} | {line.group for line in lines if isinstance(line, FieldGroup)}
    defined_roles = {rule.subject for rule in context.rules if rule.subject.startswith(ROLE_PREFIX)}
    defined_roles |= {line.subject for line in lines if isinstance(line, Rule) and line.subject.startswith(ROLE_PREFIX)}
    codes: set[str] | None = None
    problems: list[Problem] = []
    for index, line in enumerate(lines):
        where = (path,) if len(lines) == 1 else (path, str(index + 1))
        problems.extend(_invalid(message, *where) for message in problems_of(line, groups))
        if isinstance(line, (Rule, Assignment)) and line.department != ANY:
            codes = await _department_codes() if codes is None else codes
            if line.department not in codes:
                known = ", ".join(sorted(codes)) or "none yet"
                problems.append(_invalid(
                    f"{line.csv()}: unknown department {line.department!r} (known: {known}, or * for every department)",
                    *where,
                ))
        if isinstance(line, Assignment):
            if line.subject.startswith("key:"):
                problems.append(_invalid(
                    f"{line.csv()}: API keys carry their roles themselves (rapport apikey create --role)", *where
                ))
            if line.role.startswith(ROLE_PREFIX) and line.role not in defined_roles:
                known = ", ".join(sorted(defined_roles)) or "none"
                problems.append(_invalid(f"{line.csv()}: {line.role} has no rules (roles with rules: {known})", *where))
    if problems:
        raise DomainError(problems)


def _forbidden(message: str) -> DomainError:
    return DomainError.single(ErrorCode.FORBIDDEN, message)


async def _authorize(by: By) -> None:
    if isinstance(by, Actor):
        from rapport.authz.plan import plan_for

        plan = await plan_for(by)
        if not plan.allows("policy", "manage"):
            raise _forbidden(f"{by.subject} may not change the access policy")


# --- writing ------------------------------------------------------------------------------------------


async def _commit(
    by: By,
    change: str,
    rule_text: str,
    before: Any,
    after: Any,
    write: Callable[[BaseDBAsyncClient], Awaitable[None]],
) -> int:
    """Run ``write`` + the PolicyChange + the version bump in one transaction, then publish."""
    try:
        async with in_transaction() as conn:
            # The version bump comes first: it locks the counter row, so concurrent changes run one after
            # the other and each is compared with the policy the previous one left.
            version = await next_value(conn, POLICY_VERSION)
            current = await current_policy(conn) if isinstance(by, Actor) else None
            await write(conn)
            if isinstance(by, Actor) and current is not None:
                widened = widening(by, current, await current_policy(conn))
                if widened:
                    raise _SelfElevation(widened)
            await PolicyChange.create(
                actor=by.subject if isinstance(by, Actor) else by,
                actor_agent_id=by.agent_id if isinstance(by, Actor) else None,
                change=change,
                rule=rule_text,
                before=before,
                after=after,
                version=version,
                using_db=conn,
            )
            await emit(conn, "policy.changed", "policy", "rules", {"change": change, "version": version})
    except IntegrityError as exc:  # a concurrent change wrote the same row first
        raise DomainError.single(ErrorCode.CONFLICT, f"the policy changed meanwhile, try again ({exc})") from None
    except _SelfElevation as refused:  # rolled back: nothing of the change was written
        assert isinstance(by, Actor)
        await _audit_refusal(by, change, rule_text, refused.widened)
        raise DomainError.single(
            ErrorCode.FORBIDDEN,
            "separation of duties: this change would widen your own access ("
            + "; ".join(refused.widened.summary()) + "); another security admin must make it",
        ) from None
    await announce(version)
    return version


class _SelfElevation(Exception):
    """Raised inside the change's transaction (rolling it back) when it would widen its author's access."""

    def __init__(self, widened: Widening) -> None:
        super().__init__("self-elevation")
        self.widened = widened


async def _audit_refusal(by: Actor, change: str, rule_text: str, widened: Widening) -> None:
    """The refusal in the audit trail, in a transaction of its own: the change's was rolled back."""
    async with in_transaction() as conn:
        await audit.record(
            conn, by, REFUSED_ACTION, "policy", "rules",
            data={"change": change, "rule": rule_text, "widens": widened.summary(limit=50)},
        )
    log.warning("policy change refused: it would widen its author's access", actor=by.subject, change=change,
                rule=rule_text)


async def announce(version: int) -> None:
    """After a committed change (of the policy, or of an identity): invalidate this process's engine and
    await every ``on_policy_changed`` hook with the new version."""
    from rapport.authz.enforcer import get_engine

    get_engine().invalidate()
    for hook in list(on_policy_changed):
        try:
            await hook(version)
        except Exception:  # the change is committed: the version poll still propagates it
            log.exception("policy change hook failed", version=version)


def _as_json(line: Line) -> dict[str, Any]:
    return {"ptype": line.ptype, "values": line.values}


async def _exists(conn: BaseDBAsyncClient, line: Line) -> bool:
    return await PolicyRule.filter(ptype=line.ptype, **_columns(line)).using_db(conn).exists()


def _columns(line: Line) -> dict[str, str]:
    values = line.values
    return {f"v{i}": (values[i] if i < len(values) else "") for i in range(6)}


async def _add_line(line: Line, *, by: By, change: str) -> int:
    await _authorize(by)
    await validate([line], context=await current_policy())

    async def write(conn: BaseDBAsyncClient) -> None:
        if await _exists(conn, line):
            raise DomainError.single(ErrorCode.DUPLICATE, f"{line.csv()} exists already")
        await PolicyRuleAdapter(conn).add_policy(line.ptype[0], line.ptype, line.values)

    return await _commit(by, change, line.csv(), None, _as_json(line), write)


async def _remove_line(line: Line, *, by: By, change: str) -> int:
    await _authorize(by)

    async def write(conn: BaseDBAsyncClient) -> None:
        if not await PolicyRuleAdapter(conn).remove_policy(line.ptype[0], line.ptype, line.values):
            raise DomainError.single(ErrorCode.NOT_FOUND, f"there is no rule {line.csv()}")

    return await _commit(by, change, line.csv(), _as_json(line), None, write)


async def add_rule(rule: Rule | FieldGroup, *, by: By) -> int:
    """Add a rule (``p``) or a field group (pass a FieldGroup); return the new policy version."""
    return await _add_line(rule, by=by, change="add_rule")


async def add_plugin_default(line: Rule | FieldGroup, *, plugin: str) -> int:
    """Add a line a plugin needs (its ``default_policies``, or a PII custom field's group membership);
    recorded as a ``plugin_default`` change by ``plugin:<name>``."""
    return await _add_line(line, by=f"plugin:{plugin}", change="plugin_default")


async def remove_rule(rule: Rule | FieldGroup, *, by: By) -> int:
    """Remove a rule (or a FieldGroup); return the new policy version."""
    return await _remove_line(rule, by=by, change="remove_rule")


def _assignment(subject: str, grant: RoleGrant | str) -> Assignment:
    role_grant = RoleGrant.parse(grant) if isinstance(grant, str) else grant
    return Assignment(subject, ROLE_PREFIX + role_grant.role.removeprefix(ROLE_PREFIX), role_grant.department)


async def grant_role(subject: str, grant: RoleGrant | str, *, by: By) -> int:
    """Grant ``subject`` (``user:<email>``, or ``role:<name>`` to inherit) a role, e.g. ``agent@sales``."""
    try:
        line = _assignment(subject, grant)
    except ValueError as exc:
        raise DomainError.single(ErrorCode.INVALID, str(exc), ("role",)) from None
    if isinstance(by, Actor) and by.subject == subject:
        # Separation of duties: whoever edits the policy must not be able to raise their own access.
        raise DomainError.single(ErrorCode.FORBIDDEN, "you cannot grant roles to yourself", ("subject",))
    return await _add_line(line, by=by, change="grant_role")


async def revoke_role(subject: str, grant: RoleGrant | str, *, by: By) -> int:
    try:
        line = _assignment(subject, grant)
    except ValueError as exc:
        raise DomainError.single(ErrorCode.INVALID, str(exc), ("role",)) from None
    return await _remove_line(line, by=by, change="revoke_role")


async def import_rules(text: str, *, by: By) -> int:
    """Replace the stored policy with ``text`` (casbin CSV) in one transaction; return the new version.

    Rules (``p``) and field groups (``g2``) are always replaced; role grants (``g``) only when the file
    has some, so importing a rules-only file (like ``policies/policy.csv``) keeps who holds which role.
    Anything invalid: DomainError listing every problem, nothing changed."""
    await _authorize(by)
    policy = parse_policy(text)
    if not policy.rules:
        raise DomainError.single(ErrorCode.INVALID, "the file has no rules (p lines): it would deny everything", ("policy",))
    problems = [
        _invalid(f"{line.csv()}: listed twice", "policy")
        for line, count in _counts(policy).items() if count > 1
    ]
    if problems:
        raise DomainError(problems)
    await validate(policy, context=policy, path="policy")
    before = await current_policy()
    replaced = ["p", "g2"] + (["g"] if policy.assignments else [])
    kept = [] if policy.assignments else before.assignments
    after = Policy(list(policy.rules), list(policy.groups), [*kept, *policy.assignments])

    async def write(conn: BaseDBAsyncClient) -> None:
        await PolicyRuleAdapter(conn).replace(policy.rows(), ptypes=replaced)

    summary = (
        f"import: {len(policy.rules)} rules, {len(policy.groups)} field groups, "
        + (f"{len(policy.assignments)} role grants" if policy.assignments else "role grants kept")
    )
    return await _commit(by, "import", summary, {"csv": before.to_csv()}, {"csv": after.to_csv()}, write)


def _counts(policy: Policy) -> dict[Line, int]:
    counts: dict[Line, int] = {}
    for line in policy:
        counts[line] = counts.get(line, 0) + 1
    return counts


async def seed_default_policy(*, by: By = "system:seed") -> bool:
    """Load ``policies/policy.csv`` when the table has no rules yet; True when it did (idempotent)."""
    default = parse_policy(default_policy_text())
    try:
        async with in_transaction() as conn:
            if await has_rules(conn):
                return False
            present = {(ptype, tuple(values)) for ptype, values in await load_rows(conn)}
            rows = [(ptype, values) for ptype, values in default.rows() if (ptype, tuple(values)) not in present]
            await insert_rows(rows, conn)
            version = await next_value(conn, POLICY_VERSION)
            await PolicyChange.create(
                actor=by.subject if isinstance(by, Actor) else by,
                change="seed",
                rule=f"seed: {len(default.rules)} rules, {len(default.groups)} field groups from policies/policy.csv",
                before=None,
                after={"csv": default.to_csv()},
                version=version,
                using_db=conn,
            )
            await emit(conn, "policy.changed", "policy", "rules", {"change": "seed", "version": version})
    except IntegrityError:  # another process seeded at the same time
        return False
    await announce(version)
    return True
