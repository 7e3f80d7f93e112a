"""Custom field values: each type's checks and stored form, and the definitions Rapport refuses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from rapport.custom_fields.catalog import FieldCatalog, FieldDefinitionError, enum_member_name
from rapport.custom_fields.values import coerce, typed
from rapport.plugin_api import CustomField, FieldType


def field(kind: FieldType, **options) -> CustomField:
    return CustomField("customer", "f", kind, owner="p", **options)


@pytest.mark.parametrize(
    ("kind", "options", "given", "stored"),
    [
        (FieldType.STRING, {}, "  text ", "text"),
        (FieldType.INT, {}, 12, 12),
        (FieldType.DECIMAL, {}, "1234.50", "1234.50"),
        (FieldType.DECIMAL, {}, 99.5, "99.5"),
        (FieldType.DECIMAL, {}, 7, "7"),
        (FieldType.BOOL, {}, False, False),
        (FieldType.DATE, {}, "2025-01-31", "2025-01-31"),
        (FieldType.DATETIME, {}, "2025-01-31T10:30:00+01:00", "2025-01-31T09:30:00.000000+00:00"),
        (FieldType.DATETIME, {}, "2025-01-31T09:30:00Z", "2025-01-31T09:30:00.000000+00:00"),
        (FieldType.ENUM, {"choices": ("north", "south")}, "south", "south"),
        (FieldType.STRING_LIST, {}, [" a ", "b", "a", ""], ["a", "b"]),
    ],
)
def test_values_are_stored_in_a_sortable_canonical_form(kind, options, given, stored) -> None:
    assert coerce(field(kind, **options), given) == stored


@pytest.mark.parametrize(
    ("kind", "options", "given", "message"),
    [
        (FieldType.STRING, {"max_length": 3}, "long", "at most 3 characters"),
        (FieldType.STRING, {}, 5, "must be a string"),
        (FieldType.INT, {}, "12", "must be an integer"),
        (FieldType.INT, {}, True, "must be an integer"),
        (FieldType.INT, {}, 2**70, "out of range"),
        (FieldType.DECIMAL, {}, "twelve", "decimal number"),
        (FieldType.DECIMAL, {}, "NaN", "finite"),
        (FieldType.BOOL, {}, "yes", "true or false"),
        (FieldType.DATE, {}, "31.01.2025", "must be a date"),
        (FieldType.DATETIME, {}, "2025-01-31T09:30:00", "needs a UTC offset"),
        (FieldType.ENUM, {"choices": ("north", "south")}, "east", "must be one of north, south"),
        (FieldType.STRING_LIST, {}, ["a", 1], "list of strings"),
    ],
)
def test_bad_values_are_refused_with_a_message(kind, options, given, message) -> None:
    with pytest.raises(ValueError, match=message):
        coerce(field(kind, **options), given)


def test_typed_values_for_graphql() -> None:
    assert typed(field(FieldType.DECIMAL), "10.50") == Decimal("10.50")
    assert typed(field(FieldType.DATE), "2025-01-31") == date(2025, 1, 31)
    assert typed(field(FieldType.DATETIME), "2025-01-31T09:30:00.000000+00:00") == datetime.fromisoformat("2025-01-31T09:30:00+00:00")
    assert typed(field(FieldType.INT), "not an int") is None  # stored before the definition: not shown as wrong type


def test_enum_choices_become_graphql_names() -> None:
    assert enum_member_name("south-east") == "SOUTH_EAST" and enum_member_name("2nd floor") == "_2ND_FLOOR"


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        (CustomField("order", "x", FieldType.INT, owner="p"), "entity must be one of"),
        (CustomField("customer", "Bad-Name", FieldType.INT, owner="p"), "snake_case"),
        (CustomField("customer", "x", FieldType.ENUM, owner="p"), "an enum needs choices"),
        (CustomField("customer", "x", FieldType.ENUM, choices=("a-b", "a b"), owner="p"), "distinct GraphQL names"),
        (CustomField("ticket", "x", FieldType.STRING, pii=True, owner="p"), "pii is supported on customer fields"),
        (CustomField("customer", "x", FieldType.STRING_LIST, indexed=True, owner="p"), "cannot be indexed"),
        (CustomField("customer", "x", FieldType.INT, default="zero", owner="p"), "default must be an integer"),
    ],
)
def test_bad_definitions_are_refused_naming_plugin_and_field(definition, problem) -> None:
    with pytest.raises(FieldDefinitionError, match=problem) as refused:
        FieldCatalog.of_definitions([definition])
    assert f"plugin p: custom field {definition.entity}.{definition.name}" in str(refused.value)


def test_two_plugins_cannot_declare_the_same_field() -> None:
    with pytest.raises(FieldDefinitionError, match="customer.x is declared by a and b"):
        FieldCatalog.of_definitions([CustomField("customer", "x", FieldType.INT, owner="a"),
                                     CustomField("customer", "x", FieldType.INT, owner="b")])
