"""The casbin model and the vocabulary of the access policy: resources, actions, scopes, effects.

The model text ships as ``rapport.policies/model.conf``; the two Python functions its matcher calls
(``actionCovers`` and ``scopeCovers``) live here, so nothing in a policy is ever evaluated as code.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

POLICY_PACKAGE = "rapport.policies"

# --- scopes: how far from the department a rule reaches -------------------------------------------------
OWN, DEPT, ALL = "own", "dept", "all"
SCOPES: tuple[str, ...] = (OWN, DEPT, ALL)  # narrowest first
_SCOPE_RANK = {OWN: 0, DEPT: 1, ALL: 2}

# --- actions --------------------------------------------------------------------------------------------
READ, READ_MASKED = "read", "read_masked"
ACTIONS: tuple[str, ...] = (READ, READ_MASKED, "create", "update", "delete", "export", "manage")

# --- effects --------------------------------------------------------------------------------------------
ALLOW, DENY = "allow", "deny"
EFFECTS: tuple[str, ...] = (ALLOW, DENY)

ANY = "*"  # every department / resource / action in a rule

# --- resources ------------------------------------------------------------------------------------------
ROW_RESOURCES: tuple[str, ...] = ("customer", "ticket", "interaction")
REPORTS: tuple[str, ...] = (
    "churnRate", "satisfaction", "slaCompliance", "ticketVolume", "firstResponseTime",
    "customerDistribution", "interactionVolume", "churnRatio",
)
REPORT_RESOURCES: tuple[str, ...] = tuple(f"report.{name}" for name in REPORTS)
ADMIN_RESOURCES: tuple[str, ...] = ("policy", "audit", "integration")  # integration: event deliveries, webhooks
PII_GROUP = "customer.pii"
PII_FIELDS: tuple[str, ...] = ("customer.email", "customer.phone", "customer.address")
RESOURCES: tuple[str, ...] = ROW_RESOURCES + PII_FIELDS + (PII_GROUP,) + REPORT_RESOURCES + ADMIN_RESOURCES

# Which model holds the rows of a row resource, for field names (``customer.<field>``).
_ROW_MODELS = {"customer": "Customer", "ticket": "Ticket", "interaction": "Interaction"}
# Composite fields the API shows as one value.
_COMPOSITE_FIELDS = {"customer": {"address"}}

SUBJECT_RE = re.compile(r"^(user:[^\s,@]+@[^\s,@]+|role:[a-z][a-z0-9_-]*|key:[A-Za-z0-9][A-Za-z0-9_.-]*)$")
ROLE_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
DEPARTMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def scope_covers(rule_scope: str, request_scope: str) -> bool:
    """A rule's scope covers the requested one: all covers dept and own, dept covers own."""
    rule_rank = _SCOPE_RANK.get(rule_scope)
    request_rank = _SCOPE_RANK.get(request_scope)
    return rule_rank is not None and request_rank is not None and rule_rank >= request_rank


def action_covers(rule_action: str, request_action: str) -> bool:
    """A rule's action covers the requested one: equal, ``*``, or read (in full) covers read_masked."""
    return rule_action in (request_action, ANY) or (rule_action == READ and request_action == READ_MASKED)


def widest(scopes: set[str] | frozenset[str]) -> str | None:
    """The widest of some scopes (None for none)."""
    return max(scopes, key=_SCOPE_RANK.__getitem__) if scopes else None


@cache
def model_text() -> str:
    """The casbin model (``policies/model.conf``)."""
    return files(POLICY_PACKAGE).joinpath("model.conf").read_text(encoding="utf-8")


@cache
def default_policy_text() -> str:
    """The default rules that seed a new database (``policies/policy.csv``)."""
    return files(POLICY_PACKAGE).joinpath("policy.csv").read_text(encoding="utf-8")


@cache
def default_cases_text() -> str:
    """The expected decisions (``policies/cases.csv``)."""
    return files(POLICY_PACKAGE).joinpath("cases.csv").read_text(encoding="utf-8")


def row_resource_of(resource: str) -> str | None:
    """``customer`` for ``customer.email``; None for a resource that is not a field of a row."""
    head, dot, field = resource.partition(".")
    return head if dot and field and head in ROW_RESOURCES else None


@cache
def _fields_of(row: str) -> frozenset[str]:
    from rapport import models

    model = getattr(models, _ROW_MODELS[row])
    names: set[str] = set(_COMPOSITE_FIELDS.get(row, set()))
    for name in model._meta.fields_map:
        names.add(name.removesuffix("_id"))  # field resources use the model's field names: customer.owner
    return frozenset(names)


def _custom_fields_of(row: str) -> set[str]:
    """Custom fields the active plugins define on ``row`` (``customer.loyalty_points`` is a field resource)."""
    from rapport.plugins import active

    return {field.name for field in active().fields.of(row)}


def field_resources() -> frozenset[str]:
    """Every field resource of the row resources (``customer.email``, ``ticket.status``), the active
    plugins' custom fields included: what a field mode can be asked about."""
    return frozenset(
        f"{row}.{name}" for row in ROW_RESOURCES for name in _fields_of(row) | _custom_fields_of(row)
    ) | frozenset(PII_FIELDS)


def known_resource(resource: str, groups: frozenset[str] | set[str] = frozenset()) -> bool:
    """A resource a rule may name: a known resource, ``*``, a pattern ending in ``*`` over a known
    family (``report.*``, ``customer.*``), a field of a row (``customer.title``) or a field group."""
    if resource in RESOURCES or resource == ANY or resource in groups:
        return True
    head, dot, tail = resource.partition(".")
    if not dot:
        return False
    if head == "report":
        return tail == ANY or tail in REPORTS
    if head in ROW_RESOURCES:
        if tail == ANY:
            return True
        return bool(_IDENTIFIER_RE.match(tail)) and (tail in _fields_of(head) or tail in _custom_fields_of(head))
    return False


def is_pattern(resource: str) -> bool:
    return "*" in resource
