"""SQLite: ``json_object``/``json_group_array`` with correlated subqueries; Relay ids by the post-pass
(SQLite has no base64). A subquery's JSON loses its JSON subtype, hence ``json(...)`` around each."""

from __future__ import annotations

from rapport.compiler.dialect import PARAM, Dialect, literal


class Sqlite(Dialect):
    name = "sqlite"
    sql_global_ids = False

    def object(self, pairs: list[tuple[str, str]]) -> str:
        return "json_object(" + ", ".join(f"{literal(k)}, {v}" for k, v in pairs) + ")"

    def array(self, items: list[str]) -> str:
        return "json_array(" + ", ".join(items) + ")"

    def nested(self, subquery: str) -> str:
        return f"json({subquery})"

    def boolean(self, condition: str) -> str:
        return f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"

    def bool_column(self, column: str) -> str:
        return f"json(CASE WHEN {column} IS NULL THEN 'null' WHEN {column} THEN 'true' ELSE 'false' END)"

    def datetime(self, column: str) -> str:
        # Stored as str(datetime) in UTC ("2024-01-02 03:04:05.123456+00:00"): isoformat() has a T there.
        return f"replace({column}, ' ', 'T')"

    def json_column(self, column: str, empty: str) -> str:
        return f"json(coalesce({column}, {literal(empty)}))"

    def global_id(self, type_name: str, column: str) -> str:
        return column

    def page(self, row: str, keys: str | None, source: str, order: str, size: int, backward: bool) -> str:
        pairs = [
            f"'n', json_group_array(json(p.j)) FILTER (WHERE p.rn <= {size:d})",
            f"'m', json(CASE WHEN count(*) > {size:d} THEN 'true' ELSE 'false' END)",
        ]
        columns = f"{row} AS j"
        if keys is not None:
            pairs.append(f"'k', json_group_array(json(p.k)) FILTER (WHERE p.rn <= {size:d})")
            columns += f", {keys} AS k"
        rows = f"SELECT {columns}, row_number() OVER (ORDER BY {order}) AS rn FROM {source} ORDER BY {order} LIMIT {size + 1:d}"
        if backward:
            rows = f"SELECT * FROM ({rows}) ORDER BY rn DESC"
        return f"(SELECT json_object({', '.join(pairs)}) FROM ({rows}) p)"

    def rows(self, row: str, source: str, order: str, limit: int | None = None) -> str:
        cap = f" LIMIT {limit:d}" if limit is not None else ""
        return f"(SELECT json_group_array(json(p.j)) FROM (SELECT {row} AS j FROM {source} ORDER BY {order}{cap}) p)"

    def finish(self, sql: str) -> str:
        return sql.replace(PARAM, "?")

    def bind_datetime(self, model: object, column: str, value: object) -> object:
        field = model._meta.fields_map.get(column) if model is not None else None  # type: ignore[attr-defined]
        return field.to_db_value(value, model) if field is not None else value
