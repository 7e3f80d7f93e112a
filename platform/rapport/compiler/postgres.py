"""PostgreSQL: ``json_build_object``/``json_agg``; Relay ids and times formatted in SQL."""

from __future__ import annotations

from rapport.compiler.dialect import PARAM, Dialect, literal

MAX_OBJECT_PAIRS = 50  # json_build_object takes at most 100 arguments


class Postgres(Dialect):
    name = "postgres"
    sql_global_ids = True

    def object(self, pairs: list[tuple[str, str]]) -> str:
        if len(pairs) > MAX_OBJECT_PAIRS:
            from rapport.compiler import NotCompiled

            raise NotCompiled("too many fields in one object")
        return "json_build_object(" + ", ".join(f"{literal(k)}, {v}" for k, v in pairs) + ")"

    def array(self, items: list[str]) -> str:
        return "json_build_array(" + ", ".join(items) + ")"

    def nested(self, subquery: str) -> str:
        return subquery

    def boolean(self, condition: str) -> str:
        return f"({condition})"

    def bool_column(self, column: str) -> str:
        return column

    def datetime(self, column: str) -> str:
        utc = f"({column} AT TIME ZONE 'UTC')"
        return (
            f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_part('microseconds', {utc})::bigint % 1000000 <> 0 "
            f"THEN to_char({utc}, '.US') ELSE '' END || '+00:00')"
        )

    def json_column(self, column: str, empty: str) -> str:
        return f"coalesce({column}, {literal(empty)}::jsonb)"

    def global_id(self, type_name: str, column: str) -> str:
        return f"encode(convert_to({literal(type_name + ':')} || {column}, 'UTF8'), 'base64')"

    def page(self, row: str, keys: str | None, source: str, order: str, size: int, backward: bool) -> str:
        direction = "DESC" if backward else "ASC"
        pairs = [
            f"'n', coalesce(json_agg(p.j ORDER BY p.rn {direction}) FILTER (WHERE p.rn <= {size:d}), '[]'::json)",
            f"'m', count(*) > {size:d}",
        ]
        columns = f"{row} AS j"
        if keys is not None:
            pairs.append(f"'k', coalesce(json_agg(p.k ORDER BY p.rn {direction}) FILTER (WHERE p.rn <= {size:d}), '[]'::json)")
            columns += f", {keys} AS k"
        return (
            f"(SELECT json_build_object({', '.join(pairs)}) FROM (SELECT {columns}, row_number() OVER (ORDER BY {order}) AS rn "
            f"FROM {source} ORDER BY {order} LIMIT {size + 1:d}) p)"
        )

    def rows(self, row: str, source: str, order: str, limit: int | None = None) -> str:
        cap = f" LIMIT {limit:d}" if limit is not None else ""
        return (f"(SELECT coalesce(json_agg(p.j ORDER BY p.rn), '[]'::json) FROM (SELECT {row} AS j, "
                f"row_number() OVER (ORDER BY {order}) AS rn FROM {source} ORDER BY {order}{cap}) p)")

    def finish(self, sql: str) -> str:
        parts = sql.split(PARAM)
        out = [parts[0]]
        for i, part in enumerate(parts[1:], start=1):
            out.append(f"${i}")
            out.append(part)
        return "".join(out)
