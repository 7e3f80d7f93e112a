"""The service configuration: SLA policies, business-hours calendars and per-department rules.

It is read once per process from the TOML file named by ``RAPPORT_SERVICE_CONFIG`` (none: the built-in
defaults below). Example (``docs``: README "Service levels and assignment")::

    default_calendar = "24x7"              # calendar of departments that name none

    [calendars.office]
    timezone = "Europe/Berlin"
    days = ["mon", "tue", "wed", "thu", "fri"]
    hours = "09:00-17:00"                  # or ["08:00-12:00", "13:00-17:00"]
    holidays = ["2025-12-25", "2026-01-01"]

    [departments.support]
    calendar = "office"                    # business hours of the department
    manager = "lead@example.com"           # escalations are reassigned here (default: an agent holding manager@support)
    assignment = "round_robin"             # or "least_open", or "manual" (the default)

    [[policies]]                           # the first policy that matches a ticket applies; "default" is last
    name = "vip"
    tier = ["HIGH"]                        # match on customer tier, priority, department: absent = any
    priority = ["URGENT", "HIGH"]
    first_response = "30m"                 # business time: "1h30m", "90m", "45s", or a number of seconds
    resolution = { URGENT = "4h", HIGH = "8h" }   # or one duration for every priority
    calendar = "24x7"                      # absent: the department's calendar
    pause_while_pending = true             # the clocks stop while the ticket is PENDING (default true)
    warn_at = 0.8                          # ticket.sla_warning at 80% of a target (false: no warning)
    escalate = { on = ["first_response", "resolution"], raise_priority = true, reassign_to_manager = true }
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from rapport.models import TicketPriority
from rapport.services.business_hours import ALWAYS, BusinessCalendar, CalendarError, calendar_from_mapping

DEFAULT_POLICY = "default"
TARGETS = ("first_response", "resolution")
ASSIGNMENT_STRATEGIES = ("manual", "round_robin", "least_open")
AssignmentStrategy = Literal["manual", "round_robin", "least_open"]

P = TicketPriority
DEFAULT_FIRST_RESPONSE = {P.URGENT: timedelta(hours=1), P.HIGH: timedelta(hours=4), P.NORMAL: timedelta(hours=8), P.LOW: timedelta(hours=24)}
DEFAULT_RESOLUTION = {P.URGENT: timedelta(hours=4), P.HIGH: timedelta(hours=24), P.NORMAL: timedelta(hours=72), P.LOW: timedelta(hours=168)}


class ServiceConfigError(ValueError):
    """The service configuration is invalid; the message names the file and the setting."""


@dataclass(frozen=True)
class Escalation:
    """What a breach of a target in ``on`` does beyond the SLA_BREACHED record and the ticket.sla_breached event."""

    on: frozenset[str] = frozenset(TARGETS)
    raise_priority: bool = True
    reassign_to_manager: bool = True


Targets = Mapping[TicketPriority, timedelta]


@dataclass(frozen=True)
class SlaPolicy:
    """Service-level targets and how they are measured. Plugins may return one from the ``sla_policy`` hook."""

    name: str
    first_response: Targets | timedelta
    resolution: Targets | timedelta
    calendar: str | None = None  # None: the ticket department's calendar
    pause_while_pending: bool = True
    warn_at: float | None = 0.8  # fraction of a target after which ticket.sla_warning is sent; None: never
    escalation: Escalation = field(default_factory=Escalation)
    priorities: frozenset[TicketPriority] = frozenset()  # match: empty = any
    tiers: frozenset[str] = frozenset()  # customer tier values ("high", ...): empty = any
    departments: frozenset[str] = frozenset()  # department codes: empty = any

    def __post_init__(self) -> None:
        if self.warn_at is not None and not 0 < self.warn_at < 1:
            raise ServiceConfigError(f"policy {self.name!r}: warn_at must be between 0 and 1 (exclusive)")

    def target(self, kind: str, priority: TicketPriority | str) -> timedelta:
        """The ``first_response`` or ``resolution`` target for ``priority``."""
        value = self.first_response if kind == "first_response" else self.resolution
        if isinstance(value, timedelta):
            return value
        priority = TicketPriority(priority)
        if priority in value:
            return value[priority]
        # A priority the table leaves out gets the nearest stricter one it names, else the laxest.
        order = [P.URGENT, P.HIGH, P.NORMAL, P.LOW]
        for candidate in reversed(order[: order.index(priority)]):
            if candidate in value:
                return value[candidate]
        return max(value.values())

    def matches(self, priority: str, tier: str | None, department: str) -> bool:
        return (
            (not self.priorities or TicketPriority(priority) in self.priorities)
            and (not self.tiers or (tier or "") in self.tiers)
            and (not self.departments or department in self.departments)
        )


DEFAULT_SLA_POLICY = SlaPolicy(DEFAULT_POLICY, DEFAULT_FIRST_RESPONSE, DEFAULT_RESOLUTION)


@dataclass(frozen=True)
class DepartmentRules:
    code: str
    calendar: str | None = None
    manager: str | None = None  # email of the agent escalations go to
    assignment: AssignmentStrategy = "manual"


@dataclass(frozen=True)
class ServiceConfig:
    calendars: Mapping[str, BusinessCalendar] = field(default_factory=lambda: {ALWAYS.name: ALWAYS})
    policies: tuple[SlaPolicy, ...] = ()
    departments: Mapping[str, DepartmentRules] = field(default_factory=dict)
    default_calendar: str = ALWAYS.name
    source: str = "built-in defaults"

    def __post_init__(self) -> None:
        names = [p.name for p in self.policies]
        if len(set(names)) != len(names):
            raise ServiceConfigError(f"{self.source}: policy names must be unique")
        for where, name in [("default_calendar", self.default_calendar)] + [
            (f"policy {p.name!r}", p.calendar) for p in self.policies
        ] + [(f"department {d.code!r}", d.calendar) for d in self.departments.values()]:
            if name is not None and name not in self.calendars:
                raise ServiceConfigError(f"{self.source}: {where} names unknown calendar {name!r}")

    @property
    def all_policies(self) -> tuple[SlaPolicy, ...]:
        """The configured policies in order, then the built-in default (unless the file redefines it)."""
        if any(p.name == DEFAULT_POLICY for p in self.policies):
            return self.policies
        return (*self.policies, DEFAULT_SLA_POLICY)

    def policy_named(self, name: str) -> SlaPolicy | None:
        return next((p for p in self.all_policies if p.name == name), None)

    def department(self, code: str) -> DepartmentRules:
        return self.departments.get(code) or DepartmentRules(code)

    def calendar_for(self, policy: SlaPolicy | None, department: str) -> BusinessCalendar:
        """The policy's calendar, else the department's, else the default calendar."""
        name = (policy.calendar if policy else None) or self.department(department).calendar or self.default_calendar
        return self.calendars[name]


# --- the process-wide configuration ---------------------------------------------------------------------

_current: ServiceConfig | None = None


def current_config() -> ServiceConfig:
    """The configuration of this process (the built-in defaults until one is loaded)."""
    global _current
    if _current is None:
        _current = ServiceConfig()
    return _current


def use_config(config: ServiceConfig | None) -> ServiceConfig | None:
    """Make ``config`` this process's configuration (None: back to the defaults); return the previous one."""
    global _current
    previous, _current = _current, config
    return previous


def configure(path: Path | str | None) -> ServiceConfig:
    """Load the file at ``path`` (None: the defaults) and make it current."""
    config = load_service_config(path) if path else ServiceConfig()
    use_config(config)
    return config


# --- parsing --------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(value: object, where: str) -> timedelta:
    """``"1h30m"``, ``"90m"``, ``"45s"`` or a number of seconds (business time)."""
    if isinstance(value, bool):
        raise ServiceConfigError(f"{where}: {value!r} is not a duration")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match or not any(match.groups()):
            raise ServiceConfigError(f"{where}: {value!r} is not a duration such as \"4h\", \"1h30m\", \"90m\"")
        hours, minutes, secs = (int(part or 0) for part in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds <= 0:
        raise ServiceConfigError(f"{where}: a target must be longer than zero")
    return timedelta(seconds=seconds)


def _targets(value: object, where: str) -> Targets | timedelta:
    if isinstance(value, Mapping):
        out: dict[TicketPriority, timedelta] = {}
        for key, item in value.items():
            try:
                priority = TicketPriority(str(key).lower())
            except ValueError:
                raise ServiceConfigError(f"{where}: {key!r} is not a priority (URGENT, HIGH, NORMAL, LOW)") from None
            out[priority] = parse_duration(item, f"{where}.{key}")
        if not out:
            raise ServiceConfigError(f"{where}: give at least one priority")
        return out
    return parse_duration(value, where)


def _names(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ServiceConfigError(f"{where}: give a list of names")
    return [v.strip() for v in value]


def _policy(spec: Mapping[str, Any], index: int, source: str) -> SlaPolicy:
    name = spec.get("name")
    where = f"{source}: policies[{index}]" + (f" ({name})" if name else "")
    known = {"name", "priority", "tier", "department", "first_response", "resolution", "calendar",
             "pause_while_pending", "warn_at", "escalate"}
    if unknown := set(spec) - known:
        raise ServiceConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    if not isinstance(name, str) or not name.strip():
        raise ServiceConfigError(f"{where}: name is required")
    for required in ("first_response", "resolution"):
        if required not in spec:
            raise ServiceConfigError(f"{where}: {required} is required")
    try:
        priorities = frozenset(TicketPriority(p.lower()) for p in _names(spec.get("priority"), f"{where}.priority"))
    except ValueError:
        raise ServiceConfigError(f"{where}.priority: use URGENT, HIGH, NORMAL, LOW") from None
    tiers = frozenset(t.lower() for t in _names(spec.get("tier"), f"{where}.tier"))
    if bad := tiers - {"high", "ordinary", "potential"}:
        raise ServiceConfigError(f"{where}.tier: unknown tier(s) {', '.join(sorted(bad))} (HIGH, ORDINARY, POTENTIAL)")
    warn = spec.get("warn_at", 0.8)
    if warn is False:
        warn = None
    elif not isinstance(warn, (int, float)) or isinstance(warn, bool):
        raise ServiceConfigError(f"{where}.warn_at: a fraction such as 0.8, or false")
    escalate = spec.get("escalate", {})
    if not isinstance(escalate, Mapping) or set(escalate) - {"on", "raise_priority", "reassign_to_manager"}:
        raise ServiceConfigError(f"{where}.escalate: a table of on, raise_priority, reassign_to_manager")
    on = frozenset(_names(escalate.get("on", list(TARGETS)), f"{where}.escalate.on"))
    if bad := on - set(TARGETS):
        raise ServiceConfigError(f"{where}.escalate.on: unknown target(s) {', '.join(sorted(bad))}")
    try:
        return SlaPolicy(
            name=name.strip(),
            first_response=_targets(spec["first_response"], f"{where}.first_response"),
            resolution=_targets(spec["resolution"], f"{where}.resolution"),
            calendar=spec.get("calendar"),
            pause_while_pending=bool(spec.get("pause_while_pending", True)),
            warn_at=float(warn) if warn is not None else None,
            escalation=Escalation(on, bool(escalate.get("raise_priority", True)), bool(escalate.get("reassign_to_manager", True))),
            priorities=priorities,
            tiers=tiers,
            departments=frozenset(_names(spec.get("department"), f"{where}.department")),
        )
    except ServiceConfigError as error:
        raise ServiceConfigError(f"{where}: {error}") from None


def _department(code: str, spec: Mapping[str, Any], source: str) -> DepartmentRules:
    where = f"{source}: departments.{code}"
    if unknown := set(spec) - {"calendar", "manager", "assignment"}:
        raise ServiceConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    assignment = str(spec.get("assignment", "manual")).lower()
    if assignment not in ASSIGNMENT_STRATEGIES:
        raise ServiceConfigError(f"{where}.assignment: one of {', '.join(ASSIGNMENT_STRATEGIES)}")
    manager = spec.get("manager")
    return DepartmentRules(code, spec.get("calendar"), manager.strip().lower() if isinstance(manager, str) else None, assignment)  # type: ignore[arg-type]


def parse_service_config(data: Mapping[str, Any], source: str = "service configuration") -> ServiceConfig:
    if unknown := set(data) - {"default_calendar", "calendars", "departments", "policies"}:
        raise ServiceConfigError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))}")
    calendars: dict[str, BusinessCalendar] = {ALWAYS.name: ALWAYS}
    try:
        for name, spec in (data.get("calendars") or {}).items():
            calendars[name] = calendar_from_mapping(name, spec)
    except CalendarError as error:
        raise ServiceConfigError(f"{source}: {error}") from None
    policies = tuple(_policy(spec, i, source) for i, spec in enumerate(data.get("policies") or []))
    departments = {code: _department(code, spec, source) for code, spec in (data.get("departments") or {}).items()}
    return ServiceConfig(calendars, policies, departments, str(data.get("default_calendar", ALWAYS.name)), source)


def load_service_config(path: Path | str) -> ServiceConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ServiceConfigError(f"RAPPORT_SERVICE_CONFIG: cannot read {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ServiceConfigError(f"{path}: {error}") from None
    return parse_service_config(data, str(path))
