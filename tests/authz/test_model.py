"""The model's vocabulary and Python functions."""

from __future__ import annotations

import pytest

from rapport.authz.enforcer import build_fast_enforcer
from rapport.authz.model import (
    PII_FIELDS,
    RESOURCES,
    action_covers,
    known_resource,
    model_text,
    row_resource_of,
    scope_covers,
    widest,
)


@pytest.mark.parametrize(
    ("rule", "request_scope", "covered"),
    [
        ("all", "all", True), ("all", "dept", True), ("all", "own", True),
        ("dept", "all", False), ("dept", "dept", True), ("dept", "own", True),
        ("own", "all", False), ("own", "dept", False), ("own", "own", True),
        ("team", "own", False), ("all", "", False),
    ],
)
def test_scope_covers(rule: str, request_scope: str, covered: bool) -> None:
    assert scope_covers(rule, request_scope) is covered


def test_action_covers_read_includes_masked_but_not_the_reverse() -> None:
    assert action_covers("read", "read") and action_covers("read", "read_masked")
    assert not action_covers("read_masked", "read")
    assert action_covers("*", "delete") and not action_covers("update", "delete")


def test_widest() -> None:
    assert widest({"own", "all"}) == "all" and widest({"own", "dept"}) == "dept" and widest(set()) is None


def test_known_resources_and_patterns() -> None:
    for resource in RESOURCES:
        assert known_resource(resource)
    for resource in ("*", "report.*", "customer.*", "customer.title", "ticket.assignee", "interaction.channel"):
        assert known_resource(resource), resource
    for resource in ("customers", "report.churn", "customer.emial", "ticket.pii", "policy.x", "customer.", "x.*"):
        assert not known_resource(resource), resource
    assert known_resource("ticket.sensitive", {"ticket.sensitive"})


def test_row_resource_of() -> None:
    assert row_resource_of("customer.email") == "customer"
    assert row_resource_of("customer") is None and row_resource_of("report.churnRate") is None


def test_model_text_ships_in_the_package_and_loads_both_role_definitions() -> None:
    assert "scopeCovers" in model_text() and "eval(" not in model_text()
    enforcer = build_fast_enforcer([("g2", ["customer.email", "customer.pii"]), ("g", ["user:a@b.c", "role:agent", "*"])])
    # pycasbin 2.8's FastModel stops after the first role definition; ours loads g2 too.
    assert set(enforcer.model.model["g"]) == {"g", "g2"}
    assert enforcer.get_named_role_manager("g2").has_link("customer.email", "customer.pii")
    assert enforcer.get_named_role_manager("g").has_link("user:a@b.c", "role:agent", "marketing")


def test_pii_fields_are_customer_fields() -> None:
    assert all(row_resource_of(field) == "customer" for field in PII_FIELDS)
