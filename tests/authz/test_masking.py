"""Masked forms of personal data."""

from __future__ import annotations

import pytest

from rapport.authz.masking import mask_address, mask_email, mask_phone, mask_value


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alice@example.com", "a***@example.com"),
        ("a@example.com", "a***@example.com"),
        ("@example.com", "***@example.com"),
        ("not-an-email", "***"),
        ("x@", "***"),
        ("first.last+tag@mail.example.org", "f***@mail.example.org"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613800138000", "+86 138****8000"),
        ("+86 138 0013 8000", "+86 138****8000"),
        ("+14155552671", "+1 415***2671"),
        ("+442079460958", "+44 207***0958"),
        ("+4312345", "+43 ***45"),  # short: the last two digits at most
        ("+43123", "+43 ***"),
        ("12345678", "123*5678"),  # no country code: digits only
        ("call me", "***"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_masked_phone_never_shows_more_than_seven_national_digits() -> None:
    masked = mask_phone("+8613800138000")
    assert sum(ch.isdigit() for ch in masked) == 2 + 7


def test_mask_address_keeps_city_and_country_and_the_shape() -> None:
    address = {"line1": "1 Main St", "line2": None, "city": "Lyon", "region": "ARA", "postalCode": "69001", "country": "FR"}
    assert mask_address(address) == {"line1": None, "line2": None, "city": "Lyon", "region": None, "postalCode": None, "country": "FR"}
    assert mask_address({"address_line1": "x", "address_city": "Lyon", "address_country": "FR"}) == {
        "address_line1": None, "address_city": "Lyon", "address_country": "FR"}


def test_none_stays_none() -> None:
    assert mask_email(None) is None and mask_phone(None) is None and mask_address(None) is None


def test_mask_value_by_field_resource() -> None:
    assert mask_value("customer.email", "bob@x.org") == "b***@x.org"
    assert mask_value("customer.phone", "+8613800138000") == "+86 138****8000"
    assert mask_value("customer.address", {"city": "Oslo", "line1": "x"}) == {"city": "Oslo", "line1": None}
    assert mask_value("customer.title", "CEO") == "***" and mask_value("customer.email", None) is None
