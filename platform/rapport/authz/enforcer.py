"""The policy engine: a casbin FastEnforcer built from the model and the rules, and the process-wide
holder that rebuilds it when the stored policy version changes.

``CompiledPolicy`` is one immutable build (enforcer + the rules + the version it was built from).
``PolicyEngine`` holds the current build; ``reload_if_stale()`` compares the stored ``policy_version``
counter with its own and rebuilds when it changed (the polling half of propagation), ``reload()`` is
what a notifier calls, and ``invalidate()`` makes the next ``current()`` reload. Permission plans are
cached in the engine and dropped on every reload.

Fast path. ``FastEnforcer`` pre-filters the policy by exact request values; in this model only the
subject can be compared exactly (departments, resources and actions use ``*`` and groups), so the
enforcer is indexed by subject and a decision is asked once per subject the actor acts as (itself and
its roles in that department, including inherited roles), combining the answers with the same
deny-overrides effect as the model. ``CompiledPolicy.enforce()`` does that expansion for any subject.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import structlog
from casbin import Enforcer, FastEnforcer
from casbin.core_enforcer import CoreEnforcer
from casbin.model import FastModel, Model
from casbin.model.policy_fast import FastPolicy, fast_policy_filter
from casbin.util.builtin_operators import key_match
from tortoise import connections

from rapport.authz.adapter import Row, load_rows
from rapport.authz.model import action_covers, model_text, scope_covers
from rapport.authz.rules import Policy, Rule, line_from_values
from rapport.services.counters import POLICY_VERSION, current_value

if TYPE_CHECKING:
    from rapport.auth.actor import Actor
    from rapport.authz.plan import PermissionPlan

log = structlog.get_logger("rapport.authz")

_SUBJECT_INDEX = [0, 0]  # FastPolicy nests exactly two keys: index by subject twice


class _SubjectIndexedModel(FastModel):
    """FastModel whose ``add_def`` reports success, so that ``g2`` (and any second definition of a
    section) is loaded: pycasbin 2.8's FastModel returns None there and the loader stops after ``g``."""

    def add_def(self, sec: str, key: str, value: Any) -> Any:
        added = Model.add_def(self, sec, key, value)
        if added and sec == "p" and key == "p":
            self.model[sec][key].policy = FastPolicy(self._cache_key_order)
        return added


class _CompiledMatcher:
    """Parse the matcher once per enforcer instead of once per request (pycasbin 2.8 parses it in every
    enforce call, about a third of the cost). Safe because an enforcer here never changes after it is
    built: the functions the parsed expression holds (g, g2 over this enforcer's role managers, the
    registered Python functions) stay the same."""

    _expressions: dict[str, Any]

    def _get_expression(self, expr: str, functions: Any = None) -> Any:
        cache = self.__dict__.setdefault("_expressions", {})
        found = cache.get(expr)
        if found is None:
            found = cache[expr] = CoreEnforcer._get_expression(expr, functions)
        return found


class _FastEnforcer(_CompiledMatcher, FastEnforcer):
    pass


class _Enforcer(_CompiledMatcher, Enforcer):
    pass


def _configure(enforcer: Enforcer) -> Enforcer:
    """Register the model's Python functions and the ``*`` department matching of role grants."""
    enforcer.add_function("scopeCovers", scope_covers)
    enforcer.add_function("actionCovers", action_covers)
    enforcer.add_named_domain_matching_func("g", key_match)
    enforcer.build_role_links()
    return enforcer


def _load(model: Model, rows: Iterable[Row]) -> None:
    for ptype, values in rows:
        sec = ptype[0]
        if sec in model.model and ptype in model.model[sec]:
            model.model[sec][ptype].policy.append(list(values))


def build_fast_enforcer(rows: Iterable[Row]) -> FastEnforcer:
    """A FastEnforcer (indexed by subject) over the model and ``rows``."""
    model = _SubjectIndexedModel(_SUBJECT_INDEX)
    model.load_model_from_text(model_text())
    _load(model, rows)
    return _configure(_FastEnforcer(model, cache_key_order=_SUBJECT_INDEX))


def build_plain_enforcer(rows: Iterable[Row]) -> Enforcer:
    """A plain casbin Enforcer over the model and ``rows`` (every rule evaluated per request)."""
    model = Model()
    model.load_model_from_text(model_text())
    _load(model, rows)
    return _configure(_Enforcer(model))


@dataclass(frozen=True, slots=True)
class Verdict:
    """One decision: allowed, or denied by a rule (``denied``) or for want of an allowing rule."""

    allowed: bool
    denied: bool  # an explicit deny rule matched
    rule: Rule | None  # the deciding rule (the deny, or an allow), None when no rule matched


NO_RULE = Verdict(False, False, None)


class CompiledPolicy:
    """One build of the policy: immutable after construction. Not thread-safe (the fast filter is
    applied in place during a decision); use it from the event loop thread."""

    def __init__(self, policy: Policy, version: int, source: str = "database") -> None:
        self.policy = policy
        self.version = version
        self.source = source
        self.enforcer = build_fast_enforcer(policy.rows())
        self._by_subject: dict[str, list[Rule]] = {}
        for rule in policy.rules:
            self._by_subject.setdefault(rule.subject, []).append(rule)
        self._rm = self.enforcer.get_named_role_manager("g")
        self._fast_policy = self.enforcer.model.model["p"]["p"].policy
        self.groups_of: dict[str, frozenset[str]] = {}
        for group in policy.groups:
            self.groups_of[group.member] = self.groups_of.get(group.member, frozenset()) | {group.group}
        self.group_members: frozenset[str] = frozenset(group.member for group in policy.groups)

    @classmethod
    def from_rows(cls, rows: Iterable[Row], version: int, source: str = "database") -> CompiledPolicy:
        return cls(Policy.of(line_from_values(ptype, values) for ptype, values in rows), version, source)

    @classmethod
    def from_text(cls, text: str, version: int = 0, source: str = "file") -> CompiledPolicy:
        from rapport.authz.rules import parse_policy

        return cls(parse_policy(text), version, source)

    # --- subjects ----------------------------------------------------------------------------------------

    def rules_of(self, subject: str) -> list[Rule]:
        return self._by_subject.get(subject, [])

    def roles_of(self, subject: str, department: str) -> list[str]:
        """Roles ``subject`` holds in ``department`` through ``g`` rows (grants in ``*`` included),
        with the roles those roles inherit."""
        found: list[str] = []
        queue = [subject]
        while queue:
            name = queue.pop(0)
            for role in self._rm.get_roles(name, department):
                if role not in found and role != subject:
                    found.append(role)
                    queue.append(role)
        return found

    def subjects_for(self, subject: str, department: str, roles: Iterable[str] = ()) -> list[str]:
        """Everything ``subject`` acts as in ``department``: itself, its ``g`` roles there, and
        ``roles`` (``role:<name>``, e.g. an API key's grants) with what they inherit."""
        subjects = [subject, *self.roles_of(subject, department)]
        for role in roles:
            for name in (role, *self.roles_of(role, department)):
                if name not in subjects:
                    subjects.append(name)
        return subjects

    # --- decisions ---------------------------------------------------------------------------------------

    def _ask(self, subject: str, department: str, resource: str, action: str, scope: str) -> Verdict:
        if subject not in self._by_subject:
            return NO_RULE
        with fast_policy_filter(self._fast_policy, subject, subject):
            allowed, rule = self.enforcer.enforce_ex(subject, department, resource, action, scope)
        if not rule:
            return NO_RULE
        return Verdict(bool(allowed), not allowed, Rule(*rule))

    def decide(self, subjects: Sequence[str], department: str, resource: str, action: str, scope: str) -> Verdict:
        """Decide for someone acting as all of ``subjects`` at once: deny overrides allow."""
        allowed: Verdict | None = None
        for subject in subjects:
            verdict = self._ask(subject, department, resource, action, scope)
            if verdict.denied:
                return verdict
            if verdict.allowed and allowed is None:
                allowed = verdict
        return allowed or NO_RULE

    def enforce(self, subject: str, department: str, resource: str, action: str, scope: str) -> bool:
        """casbin's question for one subject (``user:..``, ``key:..`` or ``role:..``), roles expanded."""
        return self.decide(self.subjects_for(subject, department), department, resource, action, scope).allowed

    def matching_rules(
        self, subjects: Sequence[str], department: str, resource: str, action: str, scope: str
    ) -> list[Rule]:
        """Every rule of ``subjects`` that matches the request (allow and deny), in policy order."""
        explainer = self._explainer
        assertion = explainer.model.model["p"]["p"]
        matched: list[Rule] = []
        try:
            for subject in subjects:
                for rule in self.rules_of(subject):
                    assertion.policy = [rule.values]
                    _, hit = explainer.enforce_ex(subject, department, resource, action, scope)
                    if hit:
                        matched.append(rule)
        finally:
            assertion.policy = []
        return matched

    @cached_property
    def _explainer(self) -> Enforcer:
        """A plain enforcer with the role links and no rules: each rule is tried on its own."""
        rows = [(line.ptype, line.values) for line in (*self.policy.groups, *self.policy.assignments)]
        return build_plain_enforcer(rows)


async def read_version(conn: Any | None = None) -> int:
    return await current_value(conn or connections.get("default"), POLICY_VERSION)


async def load_compiled(conn: Any | None = None) -> CompiledPolicy:
    """Build from the database: the version is read before the rules, so a change committed in between
    leaves the build marked older than its rules (one more reload), never newer."""
    version = await read_version(conn)
    rows = await load_rows(conn)
    return CompiledPolicy.from_rows(rows, version)


DEFAULT_POLL_INTERVAL = 0.5
"""Seconds between version checks (``RAPPORT_POLICY_POLL_INTERVAL``): one indexed SELECT at most twice a
second per process, and a change reaches every process within a second even when no notifier runs."""


class PolicyEngine:
    """The current policy of this process, rebuilt when the stored version changes."""

    def __init__(self, *, poll_interval: float = DEFAULT_POLL_INTERVAL, plan_cache_size: int = 1024) -> None:
        self.poll_interval = poll_interval
        self.plan_cache_size = plan_cache_size
        self._compiled: CompiledPolicy | None = None
        self._checked_at = 0.0
        self._stale = True
        self._lock: asyncio.Lock | None = None
        self._plans: OrderedDict[Actor, PermissionPlan] = OrderedDict()

    @property
    def compiled(self) -> CompiledPolicy | None:
        return self._compiled

    @property
    def version(self) -> int | None:
        return self._compiled.version if self._compiled else None

    def use(self, compiled: CompiledPolicy) -> None:
        """Install a build (tests, ``rapport policy test --file``); plans and the department-id cache of
        :mod:`rapport.authz.sql` are dropped."""
        from rapport.authz.sql import forget_departments

        self._compiled = compiled
        self._plans.clear()
        forget_departments()
        self._checked_at = time.monotonic()
        self._stale = False

    def invalidate(self) -> None:
        """The stored policy changed (in this process): the next ``current()`` checks the version."""
        self._stale = True

    async def reload(self) -> CompiledPolicy:
        """Rebuild from the database now (what a change notifier calls)."""
        compiled = await load_compiled()
        previous = self.version
        self.use(compiled)
        if previous != compiled.version:
            log.info("policy loaded", version=compiled.version, previous=previous, rules=len(compiled.policy.rules))
        return compiled

    async def reload_if_stale(self) -> bool:
        """Rebuild when the stored version differs from this build's (or after ``invalidate()``);
        True when it rebuilt."""
        async with self._get_lock():
            return await self._check_version()

    async def _check_version(self) -> bool:
        stored = await read_version()
        self._checked_at = time.monotonic()
        if self._compiled is not None and not self._stale and stored == self._compiled.version:
            return False
        await self.reload()
        return True

    async def current(self) -> CompiledPolicy:
        """The build to decide with: checks the stored version at most every ``poll_interval`` seconds
        (and right away after ``invalidate()``)."""
        if self._due():
            async with self._get_lock():
                # Checked again under the lock: the callers that queued behind the one that read the
                # version must use its answer, not each send the same SELECT (single flight).
                if self._due():
                    await self._check_version()
        assert self._compiled is not None
        return self._compiled

    def _due(self) -> bool:
        return self._compiled is None or self._stale or time.monotonic() - self._checked_at >= self.poll_interval

    def _get_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    # --- plans -------------------------------------------------------------------------------------------

    async def plan_for(self, actor: Actor) -> PermissionPlan:
        from rapport.authz.plan import PermissionPlan

        compiled = await self.current()
        plan = self._plans.get(actor)
        if plan is not None and plan.version == compiled.version and plan.compiled is compiled:
            self._plans.move_to_end(actor)
            return plan
        plan = PermissionPlan(actor, compiled)
        self._plans[actor] = plan
        if len(self._plans) > self.plan_cache_size:
            self._plans.popitem(last=False)
        return plan


_engine: PolicyEngine | None = None


def get_engine() -> PolicyEngine:
    """The process-wide engine."""
    global _engine
    if _engine is None:
        _engine = PolicyEngine()
    return _engine


def set_engine(engine: PolicyEngine | None) -> None:
    """Replace (or with None, forget) the process-wide engine: tests, and a fresh database."""
    global _engine
    _engine = engine
