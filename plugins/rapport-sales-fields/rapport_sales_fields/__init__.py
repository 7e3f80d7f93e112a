"""rapport-sales-fields: what sales teams record about customers, and a tier rule from revenue.

Custom fields of customers: ``region`` (enum), ``annual_revenue`` (decimal, indexed),
``preferred_channel`` (enum), ``loyalty_points`` (int, indexed, default 0).

Rule ``sales.tier_by_revenue``: annual revenue of at least ``RAPPORT_SALES_HIGH_REVENUE`` (default
1000000) puts the customer in the HIGH tier; a known, smaller revenue in ORDINARY. Without a revenue
the core's default tier rule decides.
"""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation

from rapport import hookimpl
from rapport.plugin_api import ClassificationRule, CustomerFacts, CustomField, Decision, ErrorCode, FieldType, Problem

__version__ = "0.1.0"

REGIONS = ("north-america", "latin-america", "europe", "middle-east-africa", "asia-pacific")
CHANNELS = ("email", "phone", "meeting", "chat", "sms")
TIER_RULE = "sales.tier_by_revenue"


def high_revenue() -> Decimal:
    try:
        return Decimal(os.environ.get("RAPPORT_SALES_HIGH_REVENUE", "1000000"))
    except InvalidOperation:
        raise ValueError("RAPPORT_SALES_HIGH_REVENUE must be a number") from None


@hookimpl
def custom_fields() -> list[CustomField]:
    return [
        CustomField("customer", "region", FieldType.ENUM, "Sales region", choices=REGIONS, indexed=True),
        CustomField("customer", "annual_revenue", FieldType.DECIMAL, "Annual revenue in the account currency", indexed=True),
        CustomField("customer", "preferred_channel", FieldType.ENUM, "How the customer prefers to be contacted", choices=CHANNELS),
        CustomField("customer", "loyalty_points", FieldType.INT, "Loyalty programme points", default=0, indexed=True),
    ]


@hookimpl
def validate_record(entity: str, record: dict) -> list[Problem]:
    custom = record.get("custom") or {}
    problems = []
    if entity == "customer":
        revenue = custom.get("annual_revenue")
        if revenue is not None and Decimal(revenue) < 0:
            problems.append(Problem(ErrorCode.INVALID, "annual_revenue cannot be negative", ("input", "custom", "annual_revenue")))
        points = custom.get("loyalty_points")
        if points is not None and points < 0:
            problems.append(Problem(ErrorCode.INVALID, "loyalty_points cannot be negative", ("input", "custom", "loyalty_points")))
    return problems


@hookimpl
def classify_customer(customer: CustomerFacts) -> list[Decision]:
    revenue = customer.custom.get("annual_revenue")
    if revenue is None:
        return []
    threshold = high_revenue()
    amount = Decimal(revenue)
    if amount >= threshold:
        return [Decision("tier", "high", TIER_RULE, f"annual revenue {amount:,} (HIGH from {threshold:,})")]
    return [Decision("tier", "ordinary", TIER_RULE, f"annual revenue {amount:,} (HIGH from {threshold:,})")]


@hookimpl
def classification_rules() -> list[ClassificationRule]:
    return [ClassificationRule(TIER_RULE, "customer", "HIGH from RAPPORT_SALES_HIGH_REVENUE annual revenue (default 1000000), else ORDINARY")]
