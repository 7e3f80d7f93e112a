"""Data-entry standards: how names, contact details, tags, addresses and texts are cleaned and checked.

One module shared by the GraphQL API, the CLI and bulk import, so a value typed anywhere is stored the
same way (and dedupe on email/phone works). Every function is pure and synchronous; on failure it raises
``DomainError`` with a single ``Problem`` (code, message for people, input path). Use ``collect`` to
validate a whole input and report every problem at once.

Messages start with the field label (the last named part of the path) and never quote more than the
offending value, so they are safe to show and to log.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from rapport.services.errors import DomainError, ErrorCode, ProblemCollector

# Limits follow the column lengths of rapport.models.customer (and the interaction/ticket texts).
NAME_MAX = 200
EMAIL_MAX = 320
COMPANY_MAX = 200
TITLE_MAX = 200
ADDRESS_LINE_MAX = 200
CITY_MAX = 100
REGION_MAX = 100
POSTAL_CODE_MAX = 32
SUBJECT_MAX = 300
BODY_MAX = 100_000
TAG_MAX = 50
TAGS_MAX = 50

ADDRESS_LIMITS: dict[str, int] = {
    "line1": ADDRESS_LINE_MAX,
    "line2": ADDRESS_LINE_MAX,
    "city": CITY_MAX,
    "region": REGION_MAX,
    "postalCode": POSTAL_CODE_MAX,
    "country": 2,
}

# ISO 3166-1 alpha-2 codes without a new dependency: phonenumbers knows every region with a phone plan.
# That list lacks the territories without one and adds codes ISO only reserves (AC Ascension, TA
# Tristan da Cunha), so both are corrected here. XK (Kosovo, user-assigned) stays: it is in wide use.
COUNTRY_CODES: frozenset[str] = frozenset(
    (phonenumbers.SUPPORTED_REGIONS - {"AC", "TA"}) | {"AQ", "BV", "GS", "HM", "PN", "TF", "UM"}
)

Path = Sequence[str]
T = TypeVar("T")


def _fail(code: ErrorCode, message: str, path: Path) -> DomainError:
    return DomainError.single(code, message, tuple(path))


def _label(path: Path, default: str) -> str:
    """The last named part of the path: ("input", "address", "city") -> "city"; list indexes skipped."""
    for part in reversed(path):
        if not part.isdigit():
            return part
    return default


def _text(value: object, path: Path, label: str) -> str:
    # JSON bulk input can carry numbers or lists where text belongs; say so rather than crash.
    if not isinstance(value, str):
        raise _fail(ErrorCode.INVALID, f"{label} must be text", path)
    # Control characters (NUL breaks PostgreSQL text; the rest are invisible garbage from copy-paste) and
    # lone surrogates (not encodable) are refused; whitespace controls like tab/newline are handled by
    # the callers (collapsed in one-line fields, kept in bodies).
    if any(unicodedata.category(ch) in ("Cc", "Cs") and not ch.isspace() for ch in value):
        raise _fail(ErrorCode.INVALID, f"{label} contains control characters", path)
    return value


def _one_line(value: object, path: Path, label: str) -> str:
    """NFC, then every run of Unicode whitespace (incl. U+3000, tabs, newlines) becomes one space.

    NFC first: canonical composition never creates or removes whitespace, so the result is stable
    (normalizing it again changes nothing).
    """
    return " ".join(unicodedata.normalize("NFC", _text(value, path, label)).split())


def check_length(value: str, path: Path, max_length: int, label: str) -> str:
    """Return ``value`` if it has at most ``max_length`` characters (code points, as the database counts)."""
    if len(value) > max_length:
        raise _fail(ErrorCode.INVALID, f"{label} must be at most {max_length} characters", path)
    return value


def normalize_name(value: str | None, path: Path) -> str:
    label = _label(path, "name")
    name = _one_line("" if value is None else value, path, label)
    if not name:
        raise _fail(ErrorCode.REQUIRED, f"{label} is required", path)
    return check_length(name, path, NAME_MAX, label)


def normalize_optional_text(value: str | None, path: Path, max_length: int) -> str | None:
    label = _label(path, "text")
    text = _one_line("" if value is None else value, path, label)
    return check_length(text, path, max_length, label) if text else None


def normalize_email(value: str | None, path: Path) -> str | None:
    """Validated, normalized and fully lower-cased; IDN domains come back in Unicode (punycode input too).

    The local part is lower-cased as well although RFC 5321 lets servers treat it case-sensitively:
    no mail provider in practice does, and one form per address is what dedupe of customers needs.
    """
    label = _label(path, "email")
    if value is None:
        return None
    email = _text(value, path, label).strip()
    if not email:
        return None
    check_length(email, path, EMAIL_MAX, label)  # before parsing: no work on absurd input
    try:
        normalized = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise _fail(ErrorCode.INVALID, f"{label} is not valid: {error}", path) from None
    # lower() can leave a sequence NFC would compose; NFC again keeps the result stable.
    return check_length(unicodedata.normalize("NFC", normalized.lower()), path, EMAIL_MAX, label)


def normalize_phone(value: str | None, path: Path, default_region: str) -> str | None:
    """E.164 (``+14155552671``). A number with ``+`` or an international prefix ("00" in most regions,
    "011" in the US) ignores ``default_region``; a national number is read in that region.
    """
    label = _label(path, "phone")
    if value is None:
        return None
    raw = _text(value, path, label).strip()
    if not raw:
        return None
    region = default_region.upper()
    try:
        number = phonenumbers.parse(raw, region, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        raise _fail(ErrorCode.INVALID, f"{label} is not a valid phone number", path) from None
    if number.extension:
        # One column, E.164, used for dedupe and dialing: an extension has nowhere to go.
        raise _fail(ErrorCode.INVALID, f"{label} extensions are not supported", path)
    if not phonenumbers.is_valid_number(number):
        national = number.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
        where = f"a valid number for region {region}" if national else "a valid phone number"
        raise _fail(ErrorCode.INVALID, f"{label} is not {where}", path)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_tags(values: Iterable[str] | None, path: Path) -> list[str]:
    """Trimmed, collapsed, lower-cased, empty ones dropped, de-duplicated in first-seen order."""
    tags: list[str] = []
    seen: set[str] = set()
    for index, value in enumerate(values or ()):
        tag_path = (*path, str(index))
        # lower() rather than casefold(): "straße" stays as typed instead of becoming "strasse".
        tag = unicodedata.normalize("NFC", _one_line(value, tag_path, "tag").lower())
        if not tag or tag in seen:
            continue
        check_length(tag, tag_path, TAG_MAX, "tag")
        seen.add(tag)
        tags.append(tag)
        if len(tags) > TAGS_MAX:  # counted after dedupe: repeats are harmless
            raise _fail(ErrorCode.INVALID, f"{_label(path, 'tags')} must have at most {TAGS_MAX} tags", path)
    return tags


def normalize_address(value: Mapping[str, Any] | None, path: Path) -> dict[str, str | None] | None:
    """Keys as in the GraphQL AddressInput; country upper-cased and checked; None when all are empty."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(ErrorCode.INVALID, f"{_label(path, 'address')} must be an object", path)
    for key in value:
        if key not in ADDRESS_LIMITS:  # a typo in bulk import would otherwise drop data silently
            name = str(key)[:40]
            raise _fail(ErrorCode.INVALID, f"{_label(path, 'address')} has no field {name!r}", (*path, name))
    address: dict[str, str | None] = {}
    for key, limit in ADDRESS_LIMITS.items():
        field_path = (*path, key)
        if key == "country":
            country = _one_line(value.get(key) or "", field_path, key).upper()
            if country and country not in COUNTRY_CODES:
                raise _fail(
                    ErrorCode.INVALID, "country must be an ISO 3166-1 alpha-2 code such as US or DE", field_path
                )
            address[key] = country or None
        else:
            address[key] = normalize_optional_text(value.get(key), field_path, limit)
    return address if any(v is not None for v in address.values()) else None


def normalize_subject(value: str | None, path: Path) -> str:
    label = _label(path, "subject")
    subject = _one_line("" if value is None else value, path, label)
    if not subject:
        raise _fail(ErrorCode.REQUIRED, f"{label} is required", path)
    return check_length(subject, path, SUBJECT_MAX, label)


def normalize_body(value: str | None, path: Path) -> str | None:
    """Stripped at the ends only: inner newlines and indentation are the author's formatting."""
    label = _label(path, "body")
    body = _text("" if value is None else value, path, label).strip()
    return check_length(body, path, BODY_MAX, label) if body else None


def collect(collector: ProblemCollector, fn: Callable[..., T], *args: Any) -> T | None:
    """Run one normalizer; on failure record its problems in ``collector`` and return None.

    ``name = collect(problems, normalize_name, data.get("name"), ("input", "name"))`` ... then
    ``problems.raise_if_any()`` once every field had its turn.
    """
    try:
        return fn(*args)
    except DomainError as error:
        for problem in error.problems:
            collector.add(problem.code, problem.message, *(problem.path or ()))
        return None
