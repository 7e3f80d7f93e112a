"""One report statement, written once for SQLite and PostgreSQL.

Parameters are collected as markers while the text is assembled, then rendered in the database's style:
``?`` in text order for SQLite, ``$n`` for PostgreSQL. The few expressions that differ between the two (calendar month, epoch seconds,
typed parameters) are methods here, so a definition reads the same on both.

Timestamps: PostgreSQL holds ``timestamptz``; SQLite holds tortoise's ISO text in UTC
(``2024-01-31 23:59:59.250000+00:00``), which sorts like time, so comparisons use the columns as they are.
Where a timestamp becomes a number or a month, both databases use the instant truncated to the second,
in UTC: SQLite reads only ``YYYY-MM-DD HH:MM:SS`` and the offset (its date functions would otherwise
round fractions to milliseconds), PostgreSQL floors the epoch. The results are integers on both sides.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from rapport.services.reports.period import utc

_MARK = re.compile("\ue000(\\d+)\ue001")


class Statement:
    """Text and parameters of one SQL statement for ``conn``'s dialect."""

    def __init__(self, conn: BaseDBAsyncClient | None = None) -> None:
        self.conn = conn or connections.get("default")
        self.postgres = self.conn.capabilities.dialect == "postgres"
        self._values: list[Any] = []

    # --- parameters ------------------------------------------------------------------------------------

    def _mark(self, value: Any) -> str:
        self._values.append(value)
        return f"\ue000{len(self._values) - 1}\ue001"

    def value(self, value: Any) -> str:
        """A parameter (str, int, None) as it compares with a column."""
        if isinstance(value, datetime):
            return self.moment(value)
        return self._mark(value)

    def text(self, value: str) -> str:
        """A string where the context gives no type (a VALUES list)."""
        return f"CAST({self._mark(str(value))} AS TEXT)"

    def moment(self, value: datetime) -> str:
        """A point in time, compared with timestamp columns (typed on PostgreSQL, ISO text in UTC on SQLite)."""
        if self.postgres:
            return f"CAST({self._mark(utc(value))} AS TIMESTAMPTZ)"
        return self._mark(utc(value).isoformat(" "))

    # --- expressions that differ ---------------------------------------------------------------------

    def _second(self, column: str) -> str:
        return f"(substr({column}, 1, 19) || substr({column}, -6))"

    def month(self, column: str) -> str:
        """The calendar month (UTC) of a timestamp column as ``YYYY-MM``."""
        if self.postgres:
            return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"
        return f"strftime('%Y-%m', {self._second(column)})"

    def epoch_seconds(self, column: str) -> str:
        """Whole seconds since 1970 (UTC) of a timestamp column, as an integer."""
        if self.postgres:
            return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
        return f"CAST(strftime('%s', {self._second(column)}) AS INTEGER)"

    # --- running --------------------------------------------------------------------------------------

    def render(self, text: str) -> tuple[str, list[Any]]:
        """The text in the database's placeholder style and the parameters in matching order."""
        ordered: list[Any] = []

        def placeholder(match: re.Match[str]) -> str:
            ordered.append(self._values[int(match.group(1))])
            return f"${len(ordered)}" if self.postgres else "?"

        return _MARK.sub(placeholder, text), ordered

    async def rows(self, text: str) -> list[dict[str, Any]]:
        sql, params = self.render(text)
        return await self.conn.execute_query_dict(sql, params)
