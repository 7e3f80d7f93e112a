"""Custom field values: checked and normalized on the way in, typed on the way out.

Stored forms (in the record's ``custom`` JSON) are chosen so that SQL can filter and sort them on both
databases: decimals as strings ("1234.50"), dates as "YYYY-MM-DD", datetimes in UTC with a fixed
width ("2025-01-31T09:30:00.000000+00:00") so that text order is time order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rapport.custom_fields.json_bounds import json_problem
from rapport.plugin_api import CustomField, FieldType
from rapport.services.errors import DomainError, ErrorCode, Problem, ProblemCollector

INT_RANGE = (-(2**63), 2**63 - 1)
DECIMAL_DIGITS = 30
LIST_MAX = 100


def _string(field: CustomField, value: Any) -> str | None:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    text = value.strip()
    if len(text) > field.max_length:
        raise ValueError(f"must be at most {field.max_length} characters")
    return text or None


def _int(field: CustomField, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    if not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise ValueError("is out of range")
    return value


def _decimal(field: CustomField, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError('must be a decimal number, e.g. "1234.50"')
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError('must be a decimal number, e.g. "1234.50"') from None
    if not number.is_finite() or len(number.as_tuple().digits) > DECIMAL_DIGITS:
        raise ValueError(f"must be a finite decimal of at most {DECIMAL_DIGITS} digits")
    return str(number)


def _bool(field: CustomField, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _date(field: CustomField, value: Any) -> str:
    if isinstance(value, datetime):
        raise ValueError('must be a date, e.g. "2025-01-31"')
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or len(value.strip()) != 10:
        raise ValueError('must be a date, e.g. "2025-01-31"')
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValueError('must be a date, e.g. "2025-01-31"') from None


def stored_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _datetime(field: CustomField, value: Any) -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError('must be an ISO 8601 date and time with offset, e.g. "2025-01-31T09:30:00+01:00"') from None
    else:
        raise ValueError('must be an ISO 8601 date and time with offset, e.g. "2025-01-31T09:30:00+01:00"')
    if moment.tzinfo is None:
        raise ValueError('needs a UTC offset, e.g. "2025-01-31T09:30:00Z"')
    return stored_datetime(moment)


def _enum(field: CustomField, value: Any) -> str:
    if isinstance(value, str) and value in field.choices:
        return value
    raise ValueError(f"must be one of {', '.join(field.choices)}")


def _string_list(field: CustomField, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be a list of strings")
    items = list(dict.fromkeys(item.strip() for item in value if item.strip()))
    if len(items) > LIST_MAX:
        raise ValueError(f"must have at most {LIST_MAX} items")
    if any(len(item) > field.max_length for item in items):
        raise ValueError(f"items must be at most {field.max_length} characters")
    return items


_COERCE = {
    FieldType.STRING: _string, FieldType.INT: _int, FieldType.DECIMAL: _decimal, FieldType.BOOL: _bool,
    FieldType.DATE: _date, FieldType.DATETIME: _datetime, FieldType.ENUM: _enum, FieldType.STRING_LIST: _string_list,
}


def coerce(field: CustomField, value: Any) -> Any:
    """The stored form of ``value``; ValueError with a message for people when it does not fit."""
    return _COERCE[field.type](field, value)


def typed(field: CustomField, stored: Any) -> Any:
    """The Python value of a stored one for GraphQL (Decimal, date, datetime...); None when the stored
    value does not fit the definition (written before the field was defined, or by hand)."""
    if stored is None:
        return None
    try:
        value = coerce(field, stored)
    except (ValueError, TypeError):
        return None
    if field.type is FieldType.DECIMAL:
        return Decimal(value)
    if field.type is FieldType.DATE:
        return date.fromisoformat(value)
    if field.type is FieldType.DATETIME:
        return datetime.fromisoformat(value)
    return value


def _catalog() -> Any:
    from rapport.plugins import active

    return active().fields


def normalize_custom(
    entity: str, given: Any, problems: ProblemCollector, *, creating: bool, path: tuple[str, ...] = ("input",)
) -> dict[str, Any]:
    """Check the ``custom`` object of an input against the entity's definitions.

    Defined keys are typed (INVALID with path ``input.custom.<name>``); keys no plugin defines are kept
    as given. On create, defaults fill absent fields and missing required ones are REQUIRED. On update
    the result is the change: a key with null removes the value (see :func:`merge_custom`).
    """
    if given is None:
        given = {}
    if not isinstance(given, dict):
        problems.add(ErrorCode.INVALID, "custom must be a JSON object", *path, "custom")
        return {}
    bound = json_problem(given)
    if bound is not None:
        problems.add(ErrorCode.INVALID, f"custom {bound}", *path, "custom")
        return {}
    catalog = _catalog()
    out: dict[str, Any] = {}
    for key, value in given.items():
        definition = catalog.get(entity, key)
        if definition is None or value is None:
            out[key] = value
            continue
        try:
            out[key] = coerce(definition, value)
        except ValueError as exc:
            problems.add(ErrorCode.INVALID, f"custom.{key} {exc} (field of plugin {definition.owner})", *path, "custom", key)
    if creating:
        out = {key: value for key, value in out.items() if value is not None}
        for definition in catalog.of(entity):
            if definition.name in out:
                continue
            if definition.default is not None:
                out[definition.name] = definition.default
            elif definition.required:
                problems.add(ErrorCode.REQUIRED, f"custom.{definition.name} is required (field of plugin {definition.owner})",
                             *path, "custom", definition.name)
    return out


def merge_custom(entity: str, current: Mapping[str, Any] | None, changes: Mapping[str, Any], path: tuple[str, ...] = ("input",)) -> dict[str, Any]:
    """The stored ``custom`` after an update: ``changes`` merged in, null removing a key; a required
    field cannot be removed (REQUIRED)."""
    merged = dict(current or {})
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    missing = [d for d in _catalog().of(entity) if d.required and merged.get(d.name) is None and d.name in changes]
    if missing:
        raise DomainError([
            Problem(ErrorCode.REQUIRED, f"custom.{d.name} is required (field of plugin {d.owner})", (*path, "custom", d.name))
            for d in missing
        ])
    return merged
