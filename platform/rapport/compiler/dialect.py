"""What the compiler writes differently for each database. ``dialect_for(name)`` picks one."""

from __future__ import annotations

from enum import Enum

PARAM = "\x01"  # where a bound parameter goes; numbered ($1, $2...) or turned into ? when the statement is done


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal (only for texts of the declarations, never for client input)."""
    return "'" + text.replace("'", "''") + "'"


class Dialect:
    name = "base"
    sql_global_ids = False  # True: the Relay ids are built in SQL; False: by the post-pass

    # --- values --------------------------------------------------------------------------------------------
    def object(self, pairs: list[tuple[str, str]]) -> str:
        raise NotImplementedError

    def array(self, items: list[str]) -> str:
        raise NotImplementedError

    def nested(self, subquery: str) -> str:
        """A subquery's JSON result as a value of an enclosing object."""
        raise NotImplementedError

    def boolean(self, condition: str) -> str:
        raise NotImplementedError

    def bool_column(self, column: str) -> str:
        raise NotImplementedError

    def datetime(self, column: str) -> str:
        """The time as Python's ``isoformat()`` writes it in UTC (what the resolvers return)."""
        raise NotImplementedError

    def json_column(self, column: str, empty: str) -> str:
        raise NotImplementedError

    def global_id(self, type_name: str, column: str) -> str:
        raise NotImplementedError

    def enum(self, column: str, enum: type[Enum]) -> str:
        members = list(enum)
        if all(m.name == str(m.value).upper() for m in members):
            return f"upper({column})"
        whens = " ".join(f"WHEN {literal(str(m.value))} THEN {literal(m.name)}" for m in members)
        return f"CASE {column} {whens} END"

    def concat(self, parts: list[str]) -> str:
        return "(" + " || ".join(parts) + ")"

    # --- lists ---------------------------------------------------------------------------------------------
    def page(self, row: str, keys: str | None, source: str, order: str, size: int, backward: bool) -> str:
        """``{"n": [rows], "m": more?, "k": [cursor keys]}`` of the first ``size`` rows of ``source``
        (``FROM ... WHERE ...``) in ``order``; ``backward``: the rows come back in reverse order."""
        raise NotImplementedError

    def rows(self, row: str, source: str, order: str, limit: int | None = None) -> str:
        """Every row of ``source`` in ``order`` as a JSON array (``[]`` when none)."""
        raise NotImplementedError

    def count(self, source: str) -> str:
        return f"(SELECT count(*) FROM {source})"

    # --- statements ----------------------------------------------------------------------------------------
    def finish(self, sql: str) -> str:
        """Placeholders in the driver's style."""
        raise NotImplementedError

    def bind_datetime(self, model: object, column: str, value: object) -> object:
        return value


_dialects: dict[str, Dialect] = {}


def dialect_for(name: str) -> Dialect:
    """The dialect of a tortoise connection's ``capabilities.dialect`` (one instance each: they hold no state)."""
    found = _dialects.get(name)
    if found is not None:
        return found
    if name == "postgres":
        from rapport.compiler.postgres import Postgres

        found = Postgres()
    elif name == "sqlite":
        from rapport.compiler.sqlite import Sqlite

        found = Sqlite()
    else:
        from rapport.compiler import NotCompiled

        raise NotCompiled(f"no compiler for the {name} dialect")
    return _dialects.setdefault(name, found)
