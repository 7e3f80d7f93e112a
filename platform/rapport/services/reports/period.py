"""Report periods: half-open ``[start, end)`` in UTC, their text form and their calendar months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

MAX_MONTHS = 240  # a monthly breakdown of churn computes one cohort per month: bound the work


class ReportArgumentError(ValueError):
    """A report was asked with arguments it cannot take (the message says what to change)."""


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_z(moment: datetime) -> str:
    return utc(moment).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Period:
    """``start <= t < end``: consecutive periods never count a row twice."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: datetime, end: datetime) -> Period:
        start, end = utc(start), utc(end)
        if not start < end:
            raise ReportArgumentError(f"period: 'from' ({iso_z(start)}) must be before 'to' ({iso_z(end)})")
        return cls(start, end)

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2024-01-01..2024-04-01`` (dates are midnight UTC) or two ISO 8601 datetimes joined by ``..``."""
        first, sep, second = text.partition("..")
        if not sep or not first.strip() or not second.strip():
            raise ReportArgumentError(f"period {text!r}: write FROM..TO, e.g. 2024-01-01..2024-04-01")
        return cls.of(_moment(first.strip()), _moment(second.strip()))

    def __str__(self) -> str:
        return f"[{iso_z(self.start)}, {iso_z(self.end)})"

    def months(self) -> list[tuple[str, datetime, datetime]]:
        """The calendar months (UTC) the period touches, each cut to the period: ``(key, start, end)``."""
        buckets = []
        cursor = self.start
        while cursor < self.end:
            following = _next_month(cursor)
            buckets.append((f"{cursor.year:04d}-{cursor.month:02d}", cursor, min(following, self.end)))
            cursor = following
            if len(buckets) > MAX_MONTHS:
                raise ReportArgumentError(f"period: at most {MAX_MONTHS} months when grouped by MONTH")
        return buckets


def _next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def _moment(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ReportArgumentError(f"period: {text!r} is not a date (2024-01-01) or an ISO 8601 datetime") from None
