"""rapport-example: a custom field, a validator, a classification rule and an event consumer.

Copy the package, rename it (``pyproject.toml``: name and entry point; this module), keep the hooks you
need. Every hook is documented in ``rapport/hookspecs.py``; the types come from ``rapport.plugin_api``.
"""

from __future__ import annotations

from rapport import hookimpl
from rapport.plugin_api import ClassificationRule, CustomerFacts, CustomField, Decision, ErrorCode, Event, FieldType, Problem

__version__ = "0.1.0"

SIZES = range(30, 51)
received: list[Event] = []  # what on_event got (a real plugin would call an API here)


@hookimpl
def custom_fields() -> list[CustomField]:
    """customer.shoe_size: an integer, typed in GraphQL as customFields { shoeSize }."""
    return [CustomField("customer", "shoe_size", FieldType.INT, "EU shoe size", indexed=True)]


@hookimpl
def validate_record(entity: str, record: dict) -> list[Problem]:
    """Rapport checked the type already; a plugin adds its own rules."""
    size = (record.get("custom") or {}).get("shoe_size")
    if entity == "customer" and size is not None and size not in SIZES:
        return [Problem(ErrorCode.INVALID, "shoe_size must be between 30 and 50", ("input", "custom", "shoe_size"))]
    return []


@hookimpl
def classify_customer(customer: CustomerFacts) -> list[Decision]:
    """A tag with its reason; return segment or tier decisions to override the defaults."""
    size = customer.custom.get("shoe_size") or 0
    if size >= 46:
        return [Decision("tag", "big-feet", "example.big_feet", f"shoe size {size} (from 46)")]
    return []


@hookimpl
def classification_rules() -> list[ClassificationRule]:
    return [ClassificationRule("example.big_feet", "customer", "tag big-feet from shoe size 46")]


@hookimpl
async def on_event(event: Event) -> None:
    """Called after the change committed, at least once and in order per entity; raise to be retried."""
    if event.topic == "customer.created":
        received.append(event)
