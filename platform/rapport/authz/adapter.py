"""A small casbin adapter over the ``policy_rules`` table (ptype, v0..v5; unique over all seven).

It implements pycasbin's ``AsyncAdapter``: loading is awaited before an enforcer is built (the engine
then never touches the database while deciding), ``save_policy`` replaces the table in one transaction,
and ``remove_filtered_policy`` is always filtered by rule type (a grant row is never removed by a filter
meant for rules). Pass ``using_db`` to work inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from casbin.model import Model
from casbin.persist.adapters.asyncio import AsyncAdapter
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from rapport.models import PolicyRule

_COLUMNS = ("v0", "v1", "v2", "v3", "v4", "v5")
Row = tuple[str, list[str]]


def _padded(values: Sequence[str]) -> dict[str, str]:
    if len(values) > len(_COLUMNS):
        raise ValueError(f"a rule has at most {len(_COLUMNS)} values, got {len(values)}")
    return {column: (values[i] if i < len(values) else "") for i, column in enumerate(_COLUMNS)}


def _trimmed(values: Iterable[str]) -> list[str]:
    items = list(values)
    while items and items[-1] == "":
        items.pop()
    return items


async def load_rows(using_db: BaseDBAsyncClient | None = None, ptypes: Iterable[str] | None = None) -> list[Row]:
    """Every stored rule as (ptype, values), in insertion order."""
    query = PolicyRule.all().using_db(using_db) if using_db else PolicyRule.all()
    if ptypes is not None:
        query = query.filter(ptype__in=list(ptypes))
    rows = await query.order_by("id").values_list("ptype", *_COLUMNS)
    return [(row[0], _trimmed(row[1:])) for row in rows]


async def insert_rows(rows: Iterable[Row], using_db: BaseDBAsyncClient) -> None:
    objects = [PolicyRule(ptype=ptype, **_padded(values)) for ptype, values in rows]
    if objects:
        await PolicyRule.bulk_create(objects, using_db=using_db)


def model_rows(model: Model) -> list[Row]:
    """The (ptype, values) rows a casbin model holds (p sections, then g sections)."""
    rows: list[Row] = []
    for sec in ("p", "g"):
        for ptype, assertion in model.model.get(sec, {}).items():
            rows.extend((ptype, list(values)) for values in assertion.policy)
    return rows


class PolicyRuleAdapter(AsyncAdapter):
    """casbin adapter over :class:`rapport.models.PolicyRule`."""

    def __init__(self, using_db: BaseDBAsyncClient | None = None) -> None:
        self.using_db = using_db

    async def load_policy(self, model: Model) -> None:
        for ptype, values in await load_rows(self.using_db):
            sec = ptype[0]
            if sec in model.model and ptype in model.model[sec]:
                model.model[sec][ptype].policy.append(values)

    async def save_policy(self, model: Model) -> bool:
        """Replace every stored rule with the model's, in one transaction."""
        await self.replace(model_rows(model))
        return True

    async def replace(self, rows: Iterable[Row], ptypes: Iterable[str] | None = None) -> None:
        """Replace the stored rows (of ``ptypes`` only, when given) with ``rows``, in one transaction."""
        rows = list(rows)
        async with in_transaction() if self.using_db is None else _nested(self.using_db) as conn:
            query = PolicyRule.all().using_db(conn)
            if ptypes is not None:
                query = query.filter(ptype__in=list(ptypes))
            await query.delete()
            await insert_rows(rows, conn)

    async def add_policy(self, sec: str, ptype: str, rule: Sequence[str]) -> bool:
        _, created = await PolicyRule.get_or_create(ptype=ptype, **_padded(rule), using_db=self.using_db)
        return created

    async def add_policies(self, sec: str, ptype: str, rules: Iterable[Sequence[str]]) -> bool:
        added = False
        for rule in rules:
            added = await self.add_policy(sec, ptype, rule) or added
        return added

    async def remove_policy(self, sec: str, ptype: str, rule: Sequence[str]) -> bool:
        query = PolicyRule.filter(ptype=ptype, **_padded(rule))
        deleted = await (query.using_db(self.using_db) if self.using_db else query).delete()
        return deleted > 0

    async def remove_policies(self, sec: str, ptype: str, rules: Iterable[Sequence[str]]) -> bool:
        removed = False
        for rule in rules:
            removed = await self.remove_policy(sec, ptype, rule) or removed
        return removed

    async def remove_filtered_policy(self, sec: str, ptype: str, field_index: int, *field_values: str) -> bool:
        """Remove the ``ptype`` rows whose values from ``field_index`` on equal ``field_values`` ("" = any)."""
        if not ptype:
            raise ValueError("remove_filtered_policy needs a rule type")
        if field_index < 0 or field_index + len(field_values) > len(_COLUMNS):
            raise ValueError("filter outside v0..v5")
        conditions = {
            _COLUMNS[field_index + offset]: value for offset, value in enumerate(field_values) if value != ""
        }
        query = PolicyRule.filter(ptype=ptype, **conditions)
        deleted = await (query.using_db(self.using_db) if self.using_db else query).delete()
        return deleted > 0


class _nested:
    """Use the caller's connection (already in a transaction) as the transaction."""

    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self.conn = conn

    async def __aenter__(self) -> BaseDBAsyncClient:
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        return None
