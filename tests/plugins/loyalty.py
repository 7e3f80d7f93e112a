"""A test plugin using most hooks: typed custom fields of every type, a validator, a classification
rule that overrides the default tier and adds a tag, a ticket rule, and an event consumer."""

from __future__ import annotations

from rapport import hookimpl
from rapport.plugin_api import ClassificationRule, CustomField, CustomerFacts, Decision, Event, FieldType, Problem, TicketFacts
from rapport.services.errors import ErrorCode

__version__ = "1.2.3"

received: list[Event] = []


@hookimpl
def custom_fields() -> list[CustomField]:
    return [
        CustomField("customer", "loyalty_points", FieldType.INT, "Points collected", indexed=True, default=0),
        CustomField("customer", "nickname", FieldType.STRING, "What the customer likes to be called", pii=True),
        CustomField("customer", "member_since", FieldType.DATE),
        CustomField("customer", "region", FieldType.ENUM, choices=("north", "south-east", "west")),
        CustomField("customer", "revenue", FieldType.DECIMAL, indexed=True),
        CustomField("customer", "newsletter", FieldType.BOOL),
        CustomField("customer", "last_visit", FieldType.DATETIME),
        CustomField("customer", "interests", FieldType.STRING_LIST),
        CustomField("interaction", "purchase_amount", FieldType.DECIMAL),
        CustomField("ticket", "floor", FieldType.INT, required=True, default=1),
    ]


@hookimpl
def validate_record(entity: str, record: dict, changes: dict) -> list[Problem]:
    if entity == "customer" and (record.get("custom") or {}).get("nickname") == "admin":
        return [Problem(ErrorCode.INVALID, "nickname admin is reserved", ("input", "custom", "nickname"))]
    return []


@hookimpl
def classify_customer(customer: CustomerFacts) -> list[Decision]:
    points = customer.custom.get("loyalty_points") or 0
    decisions = []
    if points >= 1000:
        decisions.append(Decision("tier", "high", "loyalty.tier", f"{points} loyalty points (HIGH from 1000)"))
    if points >= 100:
        decisions.append(Decision("tag", "loyal", "loyalty.tag", f"{points} loyalty points (loyal from 100)"))
    return decisions


@hookimpl
def classify_ticket(ticket: TicketFacts) -> list[Decision]:
    decisions = []
    if "printer" in ticket.subject.lower() and "category" not in ticket.given:
        decisions.append(Decision("category", "hardware", "loyalty.printers", "the subject mentions a printer"))
    if ticket.customer.tier == "high":
        decisions.append(Decision("priority", "high", "loyalty.vip", "a HIGH tier customer"))
        decisions.append(Decision("tag", "vip", "loyalty.vip", "a HIGH tier customer"))
    return decisions


@hookimpl
def classification_rules() -> list[ClassificationRule]:
    return [
        ClassificationRule("loyalty.tier", "customer", "HIGH from 1000 loyalty points"),
        ClassificationRule("loyalty.tag", "customer", "tag loyal from 100 loyalty points"),
        ClassificationRule("loyalty.printers", "ticket", "printer tickets are hardware"),
        ClassificationRule("loyalty.vip", "ticket", "HIGH tier customers' tickets are HIGH priority"),
    ]


@hookimpl
async def on_event(event: Event) -> None:
    received.append(event)
