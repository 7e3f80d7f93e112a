"""Customer classification: segment, tier and tags from the plugins' rules, each with its reason.

Stored in ``customers.classification`` (JSON)::

    {"classifiedAt": "...", "reasons": [{"target": "segment", "value": "existing", "rule": "default.segment",
     "plugin": "rapport", "explanation": "..."}, ...],
     "pinned": {"tier": {"value": "high", "by": "user:a@x", "at": "..."}},   # set by a person: rules keep off
     "ruleTags": ["vip"]}                                                     # tags rules set (others are people's)

Merging: for segment and tier the first decision in call order wins (installed plugins before the
built-in defaults); tags add up. A segment or tier a person set is pinned until they clear it (null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from rapport.auth.actor import Actor
from rapport.classification.facts import columns_of, customer_facts, signals
from rapport.models import Customer, CustomerSegment, CustomerTier, Department
from rapport.plugin_api import CustomerFacts, Decision
from rapport.plugin_host import CORE, PluginFailure, PluginHost

HOOK = "classify_customer"
SYSTEM = Actor(kind="system", name="classification")  # who re-classifies in batch (audit entries)
SINGLE = {"segment": CustomerSegment, "tier": CustomerTier}


def reason(target: str, value: str, rule: str, plugin: str, explanation: str) -> dict[str, str]:
    return {"target": target, "value": value, "rule": rule, "plugin": plugin, "explanation": explanation}


@dataclass
class Outcome:
    """What classification decided for one customer."""

    segment: CustomerSegment
    tier: CustomerTier
    tags: list[str]
    classification: dict[str, Any]
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)  # "segment"/"tier" -> its reason

    def columns(self) -> dict[str, Any]:
        return {"segment": self.segment, "tier": self.tier, "tags": self.tags, "classification": self.classification}

    def changes_from(self, row: Customer) -> list[str]:
        return [name for name in ("segment", "tier", "tags") if _plain(getattr(row, name)) != _plain(getattr(self, name))]


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _checked(plugin: str, owner: str, item: Any) -> Decision:
    if not isinstance(item, Decision):
        raise PluginFailure(owner, HOOK, f"returned {type(item).__name__} instead of Decision")
    if item.target in SINGLE:
        try:
            SINGLE[item.target](item.value)
        except ValueError:
            allowed = ", ".join(v.value for v in SINGLE[item.target])
            raise PluginFailure(owner, HOOK, f"{item.target} {item.value!r} is not one of {allowed}") from None
    elif item.target != "tag":
        raise PluginFailure(owner, HOOK, f"unknown target {item.target!r} (segment, tier or tag)")
    return item


async def decide(
    host: PluginHost,
    facts: CustomerFacts,
    *,
    pinned: Mapping[str, Mapping[str, str]],
    manual_tags: Sequence[str],
    previous_reasons: Sequence[Mapping[str, str]] = (),
    actor_subject: str | None = None,
) -> Outcome:
    """Ask every ``classify_customer`` implementation and merge their decisions."""
    chosen: dict[str, dict[str, str]] = {}
    rule_tags: dict[str, dict[str, str]] = {}
    for plugin, decisions in await host.call_each(HOOK, customer=facts, settings=host.settings):
        owner = host.owner(plugin)
        for item in decisions:
            decision = _checked(plugin, owner, item)
            if decision.target == "tag":
                tag = decision.value.strip().lower()
                if tag and tag not in rule_tags:
                    rule_tags[tag] = reason("tag", tag, decision.rule, owner, decision.explanation)
            elif decision.target not in chosen:
                chosen[decision.target] = reason(decision.target, decision.value, decision.rule, owner, decision.explanation)
    for target, pin in pinned.items():
        chosen[target] = reason(target, pin["value"], f"manual.{target}", CORE, f"{target} set by {pin.get('by', 'a person')}")
    current = {"segment": facts.segment, "tier": facts.tier}
    for target in SINGLE:
        chosen.setdefault(target, reason(target, current[target], f"unchanged.{target}", CORE, "no rule decided: kept as it was"))
    earlier = {(r.get("target"), r.get("value")): r for r in previous_reasons if r.get("rule") == "manual.tag"}
    manual_reasons = [
        earlier.get(("tag", tag)) or reason("tag", tag, "manual.tag", CORE, f"tag set by {actor_subject or 'a person'}")
        for tag in manual_tags
    ]
    tags = [*manual_tags, *(tag for tag in rule_tags if tag not in manual_tags)]
    reasons = [chosen["segment"], chosen["tier"], *manual_reasons, *(r for t, r in rule_tags.items() if t not in manual_tags)]
    classification = {
        "classifiedAt": facts.now.isoformat(),
        "reasons": reasons,
        "pinned": {k: dict(v) for k, v in pinned.items()},
        "ruleTags": [t for t in rule_tags if t not in manual_tags],
    }
    return Outcome(CustomerSegment(chosen["segment"]["value"]), CustomerTier(chosen["tier"]["value"]), tags, classification,
                   {"segment": chosen["segment"], "tier": chosen["tier"]})


def _pins(stored: Mapping[str, Any], given: Mapping[str, Any], actor_subject: str | None, now: datetime) -> dict[str, Any]:
    pinned = dict(stored.get("pinned") or {})
    for target in SINGLE:
        if target in given:
            if given[target] is None:
                pinned.pop(target, None)
            else:
                pinned[target] = {"value": _plain(given[target]), "by": actor_subject or "system", "at": now.isoformat()}
    return pinned


def _manual_tags(row: Customer | None, given: Mapping[str, Any]) -> list[str]:
    if "tags" in given:
        return list(given["tags"] or [])
    if row is None:
        return []
    rule_tags = set((row.classification or {}).get("ruleTags") or [])
    return [tag for tag in (row.tags or []) if tag not in rule_tags]


async def classify_for_write(
    host: PluginHost,
    conn: BaseDBAsyncClient,
    *,
    record: Mapping[str, Any],
    department: str,
    row: Customer | None,
    given: Mapping[str, Any],
    actor_subject: str | None,
    now: datetime | None = None,
) -> Outcome:
    """Classify a customer being created (``row`` None) or changed (``row`` = stored row, ``record`` =
    its columns after the change, ``given`` = normalized values the writer set explicitly)."""
    now = now or datetime.now(UTC)
    stored = (row.classification or {}) if row is not None else {}
    found = (await signals([row.id], now, conn)).get(row.id) if row is not None else None
    facts = customer_facts(record, department, found, now, row.id if row is not None else None)
    return await decide(
        host, facts, pinned=_pins(stored, given, actor_subject, now), manual_tags=_manual_tags(row, given),
        previous_reasons=stored.get("reasons") or (), actor_subject=actor_subject,
    )


async def department_code(conn: BaseDBAsyncClient, department_id: int) -> str:
    return await Department.filter(id=department_id).using_db(conn).first().values_list("code", flat=True) or ""


async def reclassify(
    host: PluginHost, conn: BaseDBAsyncClient, customer_id: int, *, actor: Any = None, cause: str, now: datetime | None = None
) -> list[str]:
    """Classify a stored customer again inside the caller's transaction (an interaction or ticket was
    written); write and record what changed: version bump, segment history, audit, ``customer.updated``."""
    row = await Customer.get_or_none(id=customer_id, deleted_at__isnull=True).using_db(conn)
    if row is None:
        return []
    code = await department_code(conn, row.department_id)
    outcome = await classify_for_write(host, conn, record=columns_of(row), department=code, row=row, given={},
                                       actor_subject=getattr(actor, "subject", None), now=now)
    return await write_outcome(conn, row, outcome, actor=actor, cause=cause, now=now)


async def write_outcome(
    conn: BaseDBAsyncClient, row: Customer, outcome: Outcome, *, actor: Any, cause: str, now: datetime | None = None
) -> list[str]:
    """Store a changed classification (nothing when segment, tier and tags are the same). The write is
    guarded by the version: if someone changed the customer meanwhile, theirs wins and the next
    classification catches up. Returns the changed fields."""
    from rapport.events.outbox import emit
    from rapport.services import audit
    from rapport.services.segment_history import record_segment_change

    changed = outcome.changes_from(row)
    if not changed:
        return []
    now = now or datetime.now(UTC)
    updated = await Customer.filter(id=row.id, version=row.version).using_db(conn).update(
        **outcome.columns(), version=F("version") + 1, updated_at=now
    )
    if not updated:
        return []
    if "segment" in changed:
        why = outcome.reasons["segment"]
        await record_segment_change(conn, row.id, row.department_id, row.segment, outcome.segment, now, why["rule"], why["plugin"])
    decided = {name: f"{outcome.reasons[name]['rule']} of {outcome.reasons[name]['plugin']}" for name in changed if name in outcome.reasons}
    await audit.record(conn, actor or SYSTEM, "customer.classify", "customer", row.id, changed, data={"cause": cause, "rules": decided})
    await emit(conn, "customer.updated", "customer", row.id, {"fields": changed, "cause": cause})
    return changed
