"""Business time: working hours per weekday in a time zone, minus holidays.

SLA targets are durations of *business* time: a 4 h target opened at 16:00 on a Friday in a 09:00-17:00
Monday-to-Friday calendar is due at 12:00 on Monday. Two operations carry all the arithmetic:

    calendar.add(start, timedelta(hours=4))      -> the instant 4 business hours after ``start``
    calendar.between(a, b)                        -> business time from a to b (negative when b < a)

Working intervals are wall-clock times of the calendar's zone, turned into instants day by day, so
daylight-saving changes are honoured (a 09:00-17:00 day is 8 real hours on both sides of a change; a
24-hour calendar's day is 23 or 25 real hours on the day of a change). Instants must be timezone-aware;
results are in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_SECONDS = 86_400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SEARCH_DAYS = 3_700  # ten years: a calendar without working time in that span is a configuration error
ZERO = timedelta(0)

Interval = tuple[int, int]  # seconds after local midnight: [start, end), end may be 86400


class CalendarError(ValueError):
    """A calendar definition is invalid, or it has no working time to offer."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Working intervals per weekday (0 = Monday) in ``timezone``, and holidays without working time."""

    name: str
    timezone: str = "UTC"
    week: tuple[tuple[Interval, ...], ...] = field(default_factory=lambda: tuple(((0, DAY_SECONDS),) for _ in range(7)))
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise CalendarError(f"calendar {self.name!r}: give the hours of 7 weekdays")
        for day in self.week:
            previous_end = 0
            for start, end in day:
                if not (0 <= start < end <= DAY_SECONDS) or start < previous_end:
                    raise CalendarError(f"calendar {self.name!r}: hours must be ordered, non-overlapping, within a day")
                previous_end = end
        if not any(self.week):
            raise CalendarError(f"calendar {self.name!r} has no working hours")
        _zone(self.timezone, self.name)

    # --- shape ------------------------------------------------------------------------------------------

    @property
    def always_open(self) -> bool:
        """24 hours a day, 7 days a week, no holidays: business time is elapsed time."""
        return not self.holidays and all(day == ((0, DAY_SECONDS),) for day in self.week)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone, self.name)

    def intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals of the local date ``day``, as UTC instants."""
        if day in self.holidays:
            return
        midnight = datetime.combine(day, time.min, tzinfo=self.zone)
        for start, end in self.week[day.weekday()]:
            yield _instant(midnight, start), _instant(midnight, end)

    def is_open(self, at: datetime) -> bool:
        at = _aware(at)
        local = at.astimezone(self.zone).date()
        return any(s <= at < e for d in (local - timedelta(days=1), local) for s, e in self.intervals(d))

    # --- arithmetic ----------------------------------------------------------------------------------------

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when ``amount`` of business time has passed after ``start`` (``start`` itself for 0).

        When the amount runs out exactly at the end of a working interval, that end is the answer (a target
        due at the close of business, not at the next opening)."""
        start = _aware(start)
        if amount <= ZERO:
            return start
        if self.always_open:
            return start + amount
        remaining = amount
        for day in self._days_from(start):
            for begin, end in self.intervals(day):
                if end <= start or end <= begin:  # already past, or a range lost in a daylight-saving gap
                    continue
                begin = max(begin, start)
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        raise CalendarError(f"calendar {self.name!r} has no working time within {MAX_SEARCH_DAYS} days")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from ``a`` to ``b``: negative when ``b`` is before ``a``."""
        a, b = _aware(a), _aware(b)
        if b < a:
            return -self.between(b, a)
        if self.always_open:
            return b - a
        total = ZERO
        last = b.astimezone(self.zone).date()
        for day in self._days_from(a):
            if day > last:
                break
            for begin, end in self.intervals(day):
                overlap = min(end, b) - max(begin, a)
                if overlap > ZERO:
                    total += overlap
        return total

    def _days_from(self, start: datetime) -> Iterator[date]:
        # The day before too: its intervals may reach past local midnight only if they end at 24:00, which
        # is the next day's 00:00 - harmless to look at, and it keeps every case on one path.
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(MAX_SEARCH_DAYS):
            yield first + timedelta(days=offset)


def _aware(value: datetime) -> datetime:
    """``value`` in UTC: arithmetic on datetimes of a zone with daylight saving is wall-clock arithmetic."""
    if value.tzinfo is None:
        raise ValueError("business time needs timezone-aware datetimes")
    return value.astimezone(UTC)


def _instant(midnight: datetime, seconds: int) -> datetime:
    """Local wall-clock ``midnight + seconds`` as a UTC instant (24:00 is the next local midnight)."""
    if seconds >= DAY_SECONDS:
        next_day = midnight.date() + timedelta(days=1)
        return datetime.combine(next_day, time.min, tzinfo=midnight.tzinfo).astimezone(UTC)
    wall = datetime.combine(midnight.date(), time(seconds // 3600, seconds % 3600 // 60, seconds % 60), tzinfo=midnight.tzinfo)
    return wall.astimezone(UTC)


@lru_cache(maxsize=64)
def _zone_cached(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _zone(name: str, calendar: str) -> ZoneInfo:
    try:
        return _zone_cached(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"calendar {calendar!r}: unknown time zone {name!r}") from None


ALWAYS = BusinessCalendar("24x7")


# --- building calendars from configuration ------------------------------------------------------------------

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_hours(text: str, calendar: str = "?") -> Interval:
    """``"09:00-17:00"`` -> (32400, 61200); ``"00:00-24:00"`` is the whole day."""
    match = _RANGE.match(text)
    if not match:
        raise CalendarError(f"calendar {calendar!r}: hours {text!r} are not of the form HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if m1 > 59 or m2 > 59 or not (0 <= start < end <= DAY_SECONDS):
        raise CalendarError(f"calendar {calendar!r}: hours {text!r} must start before they end, within one day")
    return start, end


def calendar_from_mapping(name: str, spec: Mapping[str, object]) -> BusinessCalendar:
    """A calendar from configuration::

        timezone = "Europe/Berlin"
        days = ["mon", "tue", "wed", "thu", "fri"]   # default: every day
        hours = "09:00-17:00"                          # or ["08:00-12:00", "13:00-17:00"], default the whole day
        hours_by_day = { sat = "10:00-14:00" }         # per-day exceptions (optional)
        holidays = ["2025-12-25", "2026-01-01"]
    """
    known = {"timezone", "days", "hours", "hours_by_day", "holidays"}
    unknown = set(spec) - known
    if unknown:
        raise CalendarError(f"calendar {name!r}: unknown setting(s) {', '.join(sorted(unknown))}")
    days = spec.get("days", list(WEEKDAYS))
    if not isinstance(days, list) or any(str(d).lower()[:3] not in WEEKDAYS for d in days):
        raise CalendarError(f"calendar {name!r}: days must be a list of mon, tue, wed, thu, fri, sat, sun")
    default_hours = _intervals(spec.get("hours", "00:00-24:00"), name)
    week: list[tuple[Interval, ...]] = [
        default_hours if WEEKDAYS[i] in {str(d).lower()[:3] for d in days} else () for i in range(7)
    ]
    by_day = spec.get("hours_by_day", {})
    if not isinstance(by_day, Mapping):
        raise CalendarError(f"calendar {name!r}: hours_by_day must be a table such as {{ sat = \"10:00-14:00\" }}")
    for day, hours in by_day.items():
        key = str(day).lower()[:3]
        if key not in WEEKDAYS:
            raise CalendarError(f"calendar {name!r}: {day!r} is not a weekday")
        week[WEEKDAYS.index(key)] = _intervals(hours, name)
    holidays = spec.get("holidays", [])
    if not isinstance(holidays, list):
        raise CalendarError(f"calendar {name!r}: holidays must be a list of dates")
    return BusinessCalendar(
        name=name, timezone=str(spec.get("timezone", "UTC")), week=tuple(week),
        holidays=frozenset(_date(h, name) for h in holidays),
    )


def _intervals(value: object, calendar: str) -> tuple[Interval, ...]:
    items: Iterable[object] = [value] if isinstance(value, str) else value if isinstance(value, list) else [None]
    intervals = sorted(parse_hours(str(item), calendar) if isinstance(item, str) else _bad_hours(calendar) for item in items)
    return tuple(intervals)


def _bad_hours(calendar: str) -> Interval:
    raise CalendarError(f"calendar {calendar!r}: hours must be \"HH:MM-HH:MM\" or a list of such ranges")


def _date(value: object, calendar: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"calendar {calendar!r}: holiday {value!r} is not a date (YYYY-MM-DD)") from None
