"""Report periods (half-open, UTC, cut into calendar months) and the statement's placeholders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from rapport.services.reports.period import MAX_MONTHS, Period, ReportArgumentError
from rapport.services.reports.statement import Statement


def test_periods_are_half_open_utc_and_print_so() -> None:
    period = Period.parse("2024-01-01..2024-04-01")
    assert (period.start, period.end) == (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
    assert str(period) == "[2024-01-01T00:00:00Z, 2024-04-01T00:00:00Z)"
    shifted = Period.parse("2024-01-01T08:00:00+08:00..2024-01-02T00:00:00Z")
    assert shifted.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert Period.of(datetime(2024, 1, 1), datetime(2024, 2, 1)).start.tzinfo is UTC  # naive = UTC


@pytest.mark.parametrize("text", ["2024-01-01", "2024-01-01..", "2024-13-01..2024-14-01", "2024-04-01..2024-01-01",
                                  "2024-01-01..2024-01-01"])
def test_bad_periods_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ReportArgumentError):
        Period.parse(text)


def test_months_are_cut_to_the_period() -> None:
    period = Period.of(datetime(2023, 12, 15, tzinfo=UTC), datetime(2024, 2, 10, 12, tzinfo=UTC))
    assert period.months() == [
        ("2023-12", datetime(2023, 12, 15, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01", datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)),
        ("2024-02", datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 2, 10, 12, tzinfo=UTC)),
    ]
    east = Period.of(datetime(2024, 2, 1, tzinfo=timezone(timedelta(hours=8))), datetime(2024, 3, 1, tzinfo=UTC))
    assert [key for key, _, _ in east.months()] == ["2024-01", "2024-02"]  # 2024-02-01 +08:00 is still January in UTC
    with pytest.raises(ReportArgumentError, match="at most"):
        Period.of(datetime(2000, 1, 1, tzinfo=UTC), datetime(2000 + MAX_MONTHS // 12 + 1, 1, 1, tzinfo=UTC)).months()


@pytest.mark.parametrize(("dialect", "expected"), [
    ("sqlite", ("a = ? AND b = ? AND c = ?", [1, "2024-01-01 00:00:00+00:00", 3])),
    ("postgres", ("a = $1 AND b = CAST($2 AS TIMESTAMPTZ) AND c = $3", [1, datetime(2024, 1, 1, tzinfo=UTC), 3])),
])
def test_parameters_render_in_the_databases_style_and_text_order(dialect, expected) -> None:
    st = Statement(SimpleNamespace(capabilities=SimpleNamespace(dialect=dialect)))
    third, first = st.value(3), st.value(1)  # made out of order, rendered in text order
    text = f"a = {first} AND b = {st.moment(datetime(2024, 1, 1, tzinfo=UTC))} AND c = {third}"
    assert st.render(text) == expected
