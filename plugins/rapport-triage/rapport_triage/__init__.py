"""rapport-triage: rules for new tickets.

``triage.keywords``: words in the subject or description choose the category (only when the person
opening the ticket chose none). The table is ``KEYWORDS`` below; ``RAPPORT_TRIAGE_KEYWORDS`` (JSON,
``{"category": ["word", ...]}``) replaces it.

``triage.vip``: a customer tagged ``vip`` gets URGENT tickets; a HIGH tier customer's ticket is raised
one step (at least HIGH). The ticket is tagged ``vip``. A priority the opener chose is only ever
raised, never lowered.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache

from rapport import hookimpl
from rapport.plugin_api import ClassificationRule, Decision, TicketFacts

__version__ = "0.1.0"

KEYWORDS: dict[str, tuple[str, ...]] = {
    "billing": ("invoice", "billing", "refund", "payment", "charge", "vat"),
    "access": ("password", "login", "log in", "2fa", "locked out", "account locked"),
    "hardware": ("printer", "laptop", "screen", "keyboard", "hardware"),
    "incident": ("outage", "is down", "not working", "crash", "error 500"),
}
PRIORITIES = ("low", "normal", "high", "urgent")


@cache
def keywords() -> dict[str, tuple[str, ...]]:
    configured = os.environ.get("RAPPORT_TRIAGE_KEYWORDS")
    if not configured:
        return KEYWORDS
    table = json.loads(configured)
    return {category: tuple(word.lower() for word in words) for category, words in table.items()}


def _category(text: str) -> tuple[str, str] | None:
    for category, words in keywords().items():
        for word in words:
            if re.search(rf"\b{re.escape(word)}\b", text):
                return category, word
    return None


def _raised(current: str, to: str) -> str:
    return max(current, to, key=PRIORITIES.index)


@hookimpl
def classify_ticket(ticket: TicketFacts) -> list[Decision]:
    decisions = []
    if "category" not in ticket.given:
        found = _category(f"{ticket.subject} {ticket.description or ''}".lower())
        if found:
            category, word = found
            decisions.append(Decision("category", category, "triage.keywords", f"the ticket mentions {word!r}"))
    customer = ticket.customer
    if "vip" in customer.tags:
        decisions.append(Decision("priority", _raised(ticket.priority, "urgent"), "triage.vip", "the customer is tagged vip"))
        decisions.append(Decision("tag", "vip", "triage.vip", "the customer is tagged vip"))
    elif customer.tier == "high":
        step = PRIORITIES[min(PRIORITIES.index(ticket.priority) + 1, len(PRIORITIES) - 1)]
        decisions.append(Decision("priority", _raised(step, "high"), "triage.vip", "a HIGH tier customer: one step up, at least HIGH"))
        decisions.append(Decision("tag", "vip", "triage.vip", "a HIGH tier customer"))
    return decisions


@hookimpl
def classification_rules() -> list[ClassificationRule]:
    return [
        ClassificationRule("triage.keywords", "ticket", "keywords in subject or description choose the category"),
        ClassificationRule("triage.vip", "ticket", "vip customers: URGENT; HIGH tier: one step up, at least HIGH"),
    ]
