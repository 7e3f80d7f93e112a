"""The default classification rules of the core (plugin ``rapport.classification``).

Segment (lifecycle): POTENTIAL until the customer's first ticket or purchase (an interaction whose
custom JSON has ``"purchase": true``); then EXISTING while active; CHURNED once there was no
interaction and no ticket for ``RAPPORT_CHURN_AFTER_DAYS`` days (default 180).

Tier (value): HIGH with at least ``RAPPORT_HIGH_TIER_INTERACTIONS`` interactions in the last 365 days
(default 24); otherwise POTENTIAL while the segment is, ORDINARY after. A plugin with a better value
signal (e.g. annual revenue) decides first and these rules only fill what it leaves open.

They run last (``trylast``): any installed plugin's decision takes precedence.
"""

from __future__ import annotations

from datetime import timedelta

from rapport import hookimpl
from rapport.plugin_api import ClassificationRule, CustomerFacts, Decision
from rapport.settings import Settings

SEGMENT_RULE = "default.segment"
TIER_RULE = "default.tier"


def segment_of(customer: CustomerFacts, churn_after_days: int) -> Decision:
    if customer.tickets == 0 and customer.purchases == 0:
        return Decision("segment", "potential", SEGMENT_RULE, "no ticket or purchase yet")
    last = customer.last_activity_at
    idle = customer.now - last if last is not None else None
    if idle is None or idle > timedelta(days=churn_after_days):
        days = f"{idle.days} days" if idle is not None else "ever"
        return Decision("segment", "churned", SEGMENT_RULE,
                        f"no interaction or ticket for {days} (churned after {churn_after_days} days)")
    return Decision("segment", "existing", SEGMENT_RULE,
                    f"a customer since a first ticket or purchase, last active {idle.days} days ago "
                    f"(churned after {churn_after_days} days)")


def tier_of(customer: CustomerFacts, segment: str, high_from: int) -> Decision:
    count = customer.interactions_last_365_days
    volume = f"{count} interactions in the last 365 days (HIGH from {high_from})"
    if count >= high_from:
        return Decision("tier", "high", TIER_RULE, volume)
    if segment == "potential":
        return Decision("tier", "potential", TIER_RULE, f"not a customer yet; {volume}")
    return Decision("tier", "ordinary", TIER_RULE, volume)


@hookimpl(trylast=True)
def classify_customer(customer: CustomerFacts, settings: Settings) -> list[Decision]:
    segment = segment_of(customer, settings.churn_after_days)
    return [segment, tier_of(customer, segment.value, settings.high_tier_interactions)]


@hookimpl
def classification_rules() -> list[ClassificationRule]:
    return [
        ClassificationRule(SEGMENT_RULE, "customer", "POTENTIAL until a first ticket or purchase, EXISTING while active, "
                                                     "CHURNED after RAPPORT_CHURN_AFTER_DAYS without interaction"),
        ClassificationRule(TIER_RULE, "customer", "HIGH from RAPPORT_HIGH_TIER_INTERACTIONS interactions in 365 days, "
                                                  "else POTENTIAL for prospects and ORDINARY for customers"),
    ]
