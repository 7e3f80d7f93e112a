"""Normalise a customer's input (create or update) with the data-entry standards, reporting every problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.models import CustomerSegment, CustomerTier
from rapport.custom_fields.values import normalize_custom
from rapport.services import data_entry as de
from rapport.services.errors import ProblemCollector

ADDRESS_COLUMNS = {
    "line1": "address_line1", "line2": "address_line2", "city": "address_city",
    "region": "address_region", "postalCode": "address_postal_code", "country": "address_country",
}


def normalize_customer_fields(data: Mapping[str, Any], phone_region: str, *, creating: bool) -> dict[str, Any]:
    """Model column values for the keys present in ``data`` (an update changes only those)."""
    problems = ProblemCollector()
    out: dict[str, Any] = {}
    path = ("input",)
    if creating or "name" in data:
        out["name"] = de.collect(problems, de.normalize_name, data.get("name"), (*path, "name"))
    if "email" in data:
        out["email"] = de.collect(problems, de.normalize_email, data["email"], (*path, "email"))
    if "phone" in data:
        out["phone"] = de.collect(problems, de.normalize_phone, data["phone"], (*path, "phone"), phone_region)
    for key, limit in (("company", de.COMPANY_MAX), ("title", de.TITLE_MAX)):
        if key in data:
            out[key] = de.collect(problems, de.normalize_optional_text, data[key], (*path, key), limit)
    if "address" in data:
        address = de.collect(problems, de.normalize_address, data["address"], (*path, "address")) or {}
        for key, column in ADDRESS_COLUMNS.items():
            out[column] = address.get(key)
    if "tags" in data:
        out["tags"] = de.collect(problems, de.normalize_tags, data["tags"] or [], (*path, "tags"))
    if creating or "custom" in data:  # typed by the plugins' definitions (update: the change, merged later)
        out["custom"] = normalize_custom("customer", data.get("custom"), problems, creating=creating, path=path)
    for key, enum in (("segment", CustomerSegment), ("tier", CustomerTier)):
        if data.get(key) is not None:
            out[key] = enum(data[key])
    problems.raise_if_any()
    return out
