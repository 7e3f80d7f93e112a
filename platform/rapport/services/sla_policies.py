"""Which SLA policy applies to a ticket, and the due times it plans.

    policy = await select_sla_policy(TicketContext(priority="high", department="support", tier="high"))
    terms = plan_terms(policy, calendar_for(policy, "support"), "high", opened_at)

Selection order: a plugin's ``sla_policy`` hook first (the first non-None answer wins), then the
configured policies in file order (the first whose priority/tier/department match), then the built-in
``default`` policy (targets by priority, see ``service_config``). The chosen policy's name is stored on
the ticket (``Ticket.sla_policy``); everything later (pause, warnings, breaches, escalation) looks the
policy up by that name, so a policy must keep its name while tickets use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from rapport.models import TicketPriority
from rapport.services.business_hours import BusinessCalendar
from rapport.services.service_config import (
    DEFAULT_SLA_POLICY,
    TARGETS,
    Escalation,
    ServiceConfigError,
    SlaPolicy,
    _targets,
    current_config,
)
from rapport.services.ticket_sla import SlaTerms

log = structlog.get_logger("rapport.sla")


@dataclass(frozen=True)
class TicketContext:
    """What policy selection (and a plugin's ``sla_policy`` hook) knows about the ticket."""

    priority: TicketPriority
    department: str  # department code
    tier: str | None = None  # the customer's tier value ("high", "ordinary", "potential")
    category: str | None = None
    tags: tuple[str, ...] = ()
    customer_id: int | None = None
    ticket_id: int | None = None  # None while the ticket is being opened
    custom: Mapping[str, Any] = field(default_factory=dict)


# --- the plugins' answer -------------------------------------------------------------------------------------

_plugin_policies: dict[str, SlaPolicy] = {}  # policies plugins chose in this process, by name


async def _from_plugins(context: TicketContext) -> SlaPolicy | None:
    from rapport import plugins  # the plugin platform imports the services: import it late

    try:
        policy = _as_policy(await plugins.active().sla_policy(context))
    except Exception:  # a failing plugin must not stop a ticket from opening: the configuration decides
        log.exception("sla_policy plugin failed; using the configured policies", ticket=context.ticket_id)
        return None
    if policy is not None:
        _plugin_policies[policy.name] = policy
    return policy


def _as_policy(answer: object) -> SlaPolicy | None:
    if answer is None or isinstance(answer, SlaPolicy):
        return answer
    if isinstance(answer, Mapping):
        name = str(answer.get("name") or "plugin")
        escalate = answer.get("escalate") or {}
        return SlaPolicy(
            name=name,
            first_response=_targets(answer["first_response"], f"plugin policy {name}.first_response"),
            resolution=_targets(answer["resolution"], f"plugin policy {name}.resolution"),
            calendar=answer.get("calendar"),
            pause_while_pending=bool(answer.get("pause_while_pending", True)),
            warn_at=answer.get("warn_at", 0.8) or None,
            escalation=Escalation(
                frozenset(escalate.get("on", TARGETS)), bool(escalate.get("raise_priority", True)),
                bool(escalate.get("reassign_to_manager", True)),
            ),
        )
    raise ServiceConfigError(f"sla_policy returned {type(answer).__name__}, expected an SlaPolicy, a mapping or None")


# --- selection and lookup -----------------------------------------------------------------------------------


async def select_sla_policy(context: TicketContext) -> SlaPolicy:
    """The policy for a ticket: plugins first, then the configured policies in order, then ``default``."""
    chosen = await _from_plugins(context)
    if chosen is not None:
        if chosen.calendar is not None and chosen.calendar not in current_config().calendars:
            log.warning("plugin SLA policy names an unknown calendar; using the department's", policy=chosen.name)
        return chosen
    config = current_config()
    for policy in config.all_policies:
        if policy.matches(context.priority, context.tier, context.department):
            return policy
    return DEFAULT_SLA_POLICY


def policy_named(name: str) -> SlaPolicy:
    """The policy a ticket records by name (an unknown name - a policy since removed - gets the default's rules)."""
    return current_config().policy_named(name) or _plugin_policies.get(name) or DEFAULT_SLA_POLICY


def calendar_for(policy: SlaPolicy, department: str) -> BusinessCalendar:
    config = current_config()
    if policy.calendar is not None and policy.calendar not in config.calendars:
        policy = DEFAULT_SLA_POLICY  # a plugin's unknown calendar: the department's hours
    return config.calendar_for(policy, department)


def calendar_named(policy_name: str, department: str) -> BusinessCalendar:
    """The calendar a ticket's clocks run on, from its stored policy name and its department."""
    return calendar_for(policy_named(policy_name), department)


# --- planning -----------------------------------------------------------------------------------------------


def plan_terms(
    policy: SlaPolicy, calendar: BusinessCalendar, priority: TicketPriority | str, opened_at: datetime,
    paused: timedelta = timedelta(0),
) -> SlaTerms:
    """Due and warning times of ``policy``'s targets, counted in ``calendar``'s business time from ``opened_at``.

    ``paused``: business time the ticket already spent paused (re-planning after a priority change)."""
    due: dict[str, datetime] = {}
    warn: dict[str, datetime | None] = {}
    for kind in TARGETS:
        target = policy.target(kind, priority)
        due[kind] = calendar.add(opened_at, target + paused)
        warn[kind] = calendar.add(opened_at, target * policy.warn_at + paused) if policy.warn_at else None
    return SlaTerms(
        policy.name, due["first_response"], due["resolution"],
        first_response_warn_at=warn["first_response"], resolution_warn_at=warn["resolution"],
    )
