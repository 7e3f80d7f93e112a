"""Masked forms of personal data, shown when a rule grants ``read_masked`` but not ``read``.

Pure functions: enough of a value stays to recognise it ("is this the Alice I spoke to?"), not enough
to contact the person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, overload

import phonenumbers

STARS = "***"
_KEPT_ADDRESS_KEYS = {"city", "country", "address_city", "address_country", "countrycode", "country_code"}


@overload
def mask_email(email: str) -> str: ...
@overload
def mask_email(email: None) -> None: ...
def mask_email(email: str | None) -> str | None:
    """``alice@example.com`` -> ``a***@example.com`` (first character of the local part, the domain)."""
    if email is None:
        return None
    local, at, domain = email.strip().rpartition("@")
    if not at or not domain:
        return STARS
    return f"{local[:1]}{STARS}@{domain}"


@overload
def mask_phone(phone: str) -> str: ...
@overload
def mask_phone(phone: None) -> None: ...
def mask_phone(phone: str | None) -> str | None:
    """``+8613800138000`` -> ``+86 138****8000``: the country code, the first 3 and last 4 national
    digits, a star for each other digit. Short numbers keep less (fewer than 8 digits: the last 2 at
    most); a value that is not a phone number keeps at most its last 2 digits."""
    if phone is None:
        return None
    text = phone.strip()
    try:
        number = phonenumbers.parse(text, None)
        national = phonenumbers.national_significant_number(number)
        prefix = f"+{number.country_code} "
    except phonenumbers.NumberParseException:
        national = "".join(ch for ch in text if ch.isdigit())
        prefix = ""
    if not national:
        return STARS
    return prefix + _mask_digits(national)


def _mask_digits(digits: str) -> str:
    n = len(digits)
    if n >= 8:
        head, tail = 3, 4
    elif n >= 5:
        head, tail = 0, 2
    else:
        head, tail = 0, 0
    return digits[:head] + "*" * (n - head - tail) + digits[n - tail :] if tail else "*" * n


def mask_address(address: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Keep only the city and the country: every other part of the address becomes None (the keys stay,
    so the result fits the same type). ``{"line1": "1 Main St", "city": "Lyon", "country": "FR"}`` ->
    ``{"line1": None, "city": "Lyon", "country": "FR"}``."""
    if address is None:
        return None
    return {key: (value if key.lower() in _KEPT_ADDRESS_KEYS else None) for key, value in address.items()}


def mask_value(field_resource: str, value: Any) -> Any:
    """The masked form of one field's value, by field resource (``customer.email`` ...)."""
    if value is None:
        return None
    name = field_resource.rpartition(".")[2]
    if name == "email":
        return mask_email(str(value))
    if name == "phone":
        return mask_phone(str(value))
    if name == "address" and isinstance(value, Mapping):
        return mask_address(value)
    return STARS
