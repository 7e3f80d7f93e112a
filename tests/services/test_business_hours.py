"""Business time: fixed examples across nights, weekends, holidays and daylight saving, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.services.business_hours import ALWAYS, BusinessCalendar, CalendarError, calendar_from_mapping, parse_hours

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = calendar_from_mapping("office", {
    "timezone": "Europe/Berlin", "days": ["mon", "tue", "wed", "thu", "fri"], "hours": "09:00-17:00",
    "holidays": ["2025-12-25", "2025-12-26"],
})
SPLIT = calendar_from_mapping("split", {
    "timezone": "America/New_York", "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
    "hours": ["08:00-12:00", "13:00-17:00"], "hours_by_day": {"sat": "10:00-14:00"},
})
H = timedelta(hours=1)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        (berlin(2025, 3, 3, 10), 4 * H, berlin(2025, 3, 3, 14)),  # Monday, within the day
        (berlin(2025, 3, 7, 16), 4 * H, berlin(2025, 3, 10, 12)),  # Friday 16:00 + 4 h = Monday 12:00
        (berlin(2025, 3, 8, 11), 1 * H, berlin(2025, 3, 10, 10)),  # opened on a Saturday: counts from Monday 09:00
        (berlin(2025, 3, 3, 20), 30 * timedelta(minutes=1), berlin(2025, 3, 4, 9, 30)),  # at night: next morning
        (berlin(2025, 3, 3, 9), 8 * H, berlin(2025, 3, 3, 17)),  # runs out at closing time: due at closing time
        (berlin(2025, 3, 3, 9), 40 * H, berlin(2025, 3, 7, 17)),  # a whole working week
        (berlin(2025, 12, 24, 15), 4 * H, berlin(2025, 12, 29, 11)),  # Christmas holidays and a weekend skipped
        (berlin(2025, 3, 28, 16), 2 * H, berlin(2025, 3, 31, 10)),  # across the spring daylight-saving change
        (berlin(2025, 3, 3, 10), timedelta(0), berlin(2025, 3, 3, 10)),  # nothing to add
    ],
)
def test_add_business_time(start, amount, due) -> None:
    assert OFFICE.add(start, amount) == due
    assert OFFICE.between(start, due) == amount


def test_between_counts_only_working_time_and_is_signed() -> None:
    friday, monday = berlin(2025, 3, 7, 16), berlin(2025, 3, 10, 10)
    assert OFFICE.between(friday, monday) == 2 * H  # 1 h on Friday, 1 h on Monday; the weekend does not count
    assert OFFICE.between(monday, friday) == -2 * H
    assert OFFICE.between(berlin(2025, 3, 8, 9), berlin(2025, 3, 9, 18)) == timedelta(0)  # a weekend


def test_split_days_and_a_short_saturday() -> None:
    ny = ZoneInfo("America/New_York")
    start = datetime(2025, 6, 6, 11, tzinfo=ny)  # Friday 11:00
    # 1 h before lunch, 4 h after it, then Saturday's 10:00-14:00 for the last 3 h.
    assert SPLIT.add(start, 8 * H) == datetime(2025, 6, 7, 13, tzinfo=ny)
    assert not SPLIT.is_open(datetime(2025, 6, 6, 12, 30, tzinfo=ny))
    assert SPLIT.is_open(datetime(2025, 6, 7, 10, 30, tzinfo=ny))


def test_twenty_four_seven_is_elapsed_time() -> None:
    start = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    assert ALWAYS.always_open
    assert ALWAYS.add(start, 5 * H) == start + 5 * H
    assert ALWAYS.between(start, start - 3 * H) == -3 * H


def test_a_twenty_four_hour_day_in_a_zone_is_23_hours_on_the_spring_change() -> None:
    every_day = calendar_from_mapping("berlin-24x7", {"timezone": "Europe/Berlin"})
    day = every_day.between(berlin(2025, 3, 30, 0), berlin(2025, 3, 31, 0))
    assert day == 23 * H


def test_calendar_errors_name_the_calendar() -> None:
    with pytest.raises(CalendarError, match="'bad'.*HH:MM-HH:MM"):
        calendar_from_mapping("bad", {"hours": "9-5"})
    with pytest.raises(CalendarError, match="unknown time zone"):
        calendar_from_mapping("bad", {"timezone": "Mars/Olympus"})
    with pytest.raises(CalendarError, match="no working hours"):
        calendar_from_mapping("bad", {"days": []})
    with pytest.raises(CalendarError, match="holiday"):
        calendar_from_mapping("bad", {"holidays": ["Christmas"]})
    with pytest.raises(CalendarError, match="unknown setting"):
        calendar_from_mapping("bad", {"hour": "09:00-17:00"})
    assert parse_hours("00:00-24:00") == (0, 86_400)
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.add(datetime(2025, 1, 1), H)


def test_a_calendar_without_any_working_day_ahead_is_refused() -> None:
    only_holidays = BusinessCalendar("never", week=(((32_400, 61_200),),) + ((),) * 6,
                                     holidays=frozenset(date(2025, 1, 6) + timedelta(weeks=w) for w in range(600)))
    with pytest.raises(CalendarError, match="no working time"):
        only_holidays.add(berlin(2025, 1, 5), H)


# --- properties -----------------------------------------------------------------------------------------------

CALENDARS = st.sampled_from([OFFICE, SPLIT, ALWAYS, calendar_from_mapping("berlin-24x7", {"timezone": "Europe/Berlin"})])
INSTANTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))
AMOUNTS = st.integers(min_value=0, max_value=200 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, amount=AMOUNTS)
def test_add_then_between_gives_the_amount_back(calendar, start, amount) -> None:
    due = calendar.add(start, amount)
    assert due >= start
    assert calendar.between(start, due) == amount
    assert calendar.between(start, due) <= due - start  # business time never exceeds elapsed time


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, a=AMOUNTS, b=AMOUNTS)
def test_add_is_monotonic_and_composes(calendar, start, a, b) -> None:
    first, second = sorted((a, b))
    assert calendar.add(start, first) <= calendar.add(start, second)
    # Adding a and then b is adding a + b (ends of intervals aside, where both are the same instant of work).
    assert calendar.between(start, calendar.add(calendar.add(start, a), b)) == a + b


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, x=INSTANTS, y=INSTANTS, z=INSTANTS)
def test_between_is_additive_and_antisymmetric(calendar, x, y, z) -> None:
    assert calendar.between(x, y) + calendar.between(y, z) == calendar.between(x, z)
    assert calendar.between(x, y) == -calendar.between(y, x)


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, amount=AMOUNTS)
def test_a_due_time_falls_in_working_time(calendar, start, amount) -> None:
    due = calendar.add(start, amount)
    if amount > timedelta(0):
        # Work happened just before the due time.
        assert calendar.between(due - timedelta(seconds=1), due) > timedelta(0)
