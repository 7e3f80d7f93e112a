"""Ticket classification: plugins' ``classify_ticket`` rules set category, priority, department or tags
of a new ticket; the reasons go into the ticket's CLASSIFIED activity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from rapport.classification.customers import department_code, reason
from rapport.classification.facts import columns_of, customer_facts, signals
from rapport.models import Customer, Department, TicketPriority
from rapport.plugin_api import Decision, TicketFacts
from rapport.plugin_host import PluginFailure, PluginHost

HOOK = "classify_ticket"
TARGETS = ("category", "priority", "department", "tag")


@dataclass
class TicketOutcome:
    values: dict[str, Any] = field(default_factory=dict)  # columns to set: category, priority, tags
    department: Department | None = None  # when a rule routed the ticket
    reasons: list[dict[str, str]] = field(default_factory=list)

    def note(self) -> str:
        return "; ".join(f"{r['target']} {r['value']} ({r['rule']} of {r['plugin']}: {r['explanation']})" for r in self.reasons)


def _checked(owner: str, item: Any) -> Decision:
    if not isinstance(item, Decision):
        raise PluginFailure(owner, HOOK, f"returned {type(item).__name__} instead of Decision")
    if item.target not in TARGETS:
        raise PluginFailure(owner, HOOK, f"unknown target {item.target!r} ({', '.join(TARGETS)})")
    if item.target == "priority":
        try:
            TicketPriority(item.value)
        except ValueError:
            raise PluginFailure(owner, HOOK, f"priority {item.value!r} is not one of low, normal, high, urgent") from None
    return item


async def classify_new_ticket(
    host: PluginHost,
    conn: BaseDBAsyncClient,
    *,
    values: Mapping[str, Any],
    department: Department,
    customer: Customer,
    given: frozenset[str],
    now: datetime | None = None,
) -> TicketOutcome:
    """Ask the rules about a ticket being opened (``values``: its normalized columns)."""
    if not host.implementations(HOOK):
        return TicketOutcome()
    now = now or datetime.now(UTC)
    found = (await signals([customer.id], now, conn)).get(customer.id)
    code = await department_code(conn, customer.department_id)
    facts = TicketFacts(
        subject=values.get("subject") or "", description=values.get("description"), department=department.code,
        priority=getattr(values.get("priority"), "value", values.get("priority") or "normal"), category=values.get("category"),
        tags=tuple(values.get("tags") or ()), custom=dict(values.get("custom") or {}), given=given,
        customer=customer_facts(columns_of(customer), code, found, now, customer.id),
    )
    chosen: dict[str, dict[str, str]] = {}
    tags: dict[str, dict[str, str]] = {}
    for plugin, decisions in await host.call_each(HOOK, ticket=facts, settings=host.settings):
        owner = host.owner(plugin)
        for item in decisions:
            decision = _checked(owner, item)
            why = reason(decision.target, decision.value, decision.rule, owner, decision.explanation)
            if decision.target == "tag":
                tags.setdefault(decision.value.strip().lower(), why)
            else:
                chosen.setdefault(decision.target, why)
    outcome = TicketOutcome()
    if "category" in chosen and chosen["category"]["value"] != facts.category:
        outcome.values["category"] = chosen["category"]["value"][:100]
        outcome.reasons.append(chosen["category"])
    if "priority" in chosen and chosen["priority"]["value"] != facts.priority:
        outcome.values["priority"] = TicketPriority(chosen["priority"]["value"])
        outcome.reasons.append(chosen["priority"])
    if "department" in chosen and chosen["department"]["value"] != department.code:
        routed = await Department.get_or_none(code=chosen["department"]["value"]).using_db(conn)
        if routed is None:
            raise PluginFailure(chosen["department"]["plugin"], HOOK, f"department {chosen['department']['value']!r} does not exist")
        outcome.department = routed
        outcome.reasons.append(chosen["department"])
    new_tags = [tag for tag in tags if tag and tag not in facts.tags]
    if new_tags:
        outcome.values["tags"] = [*facts.tags, *new_tags]
        outcome.reasons += [tags[tag] for tag in new_tags]
    return outcome
