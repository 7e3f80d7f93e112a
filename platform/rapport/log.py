"""Structured logging (structlog): JSON lines in production, readable lines in development.

Whatever reaches the log is bounded: a client's value can end up in an exception message (a 60,000
character filter, a JSON value nested 300 levels), and neither the log line nor the time to render it
may grow with it. Tracebacks are therefore plain text without locals in both modes (rich's renderer
with locals took from 19 s to minutes on one deeply nested value), and every string is cut to a size.
"""

from __future__ import annotations

import logging
import reprlib
from typing import Any

import structlog

from rapport.settings import Settings

MAX_VALUE_CHARS = 1_000
MAX_TRACEBACK_CHARS = 16_000


def bounded(text: str, limit: int) -> str:
    """``text`` cut in the middle to about ``limit`` characters (a traceback's last line says what failed)."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}…[{len(text) - 2 * half} characters cut]…{text[-half:]}"


_SCALARS = (str, int, float, bool, type(None))


def _is_flat(value: Any) -> bool:
    """A short list or dict of short scalars (e.g. a GraphQL path): logged as it is."""
    items = list(value.items()) if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else None
    if items is None or len(items) > 50:
        return False
    flat = [part for item in items for part in (item if isinstance(value, dict) else (item,))]
    return all(isinstance(part, _SCALARS) and len(str(part)) <= 200 for part in flat)


def _short_repr(value: Any) -> str:
    # repr() of a deep container recurses through all of it; reprlib stops at a depth and a size.
    shortener = reprlib.Repr()
    shortener.maxlevel, shortener.maxstring, shortener.maxother = 4, 200, 200
    return shortener.repr(value)


def bound_values(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: every value of the event is at most a bounded size."""
    for key, value in event.items():
        if not isinstance(value, _SCALARS) and not _is_flat(value):
            value = _short_repr(value)
        if isinstance(value, str):
            event[key] = bounded(value, MAX_TRACEBACK_CHARS if key == "exception" else MAX_VALUE_CHARS)
    return event


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    processors: list = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,  # plain traceback text, no locals, in both modes
        bound_values,
    ]
    if settings.is_production:
        processors.append(structlog.processors.JSONRenderer())
    else:
        processors.append(structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level, format="%(message)s")
