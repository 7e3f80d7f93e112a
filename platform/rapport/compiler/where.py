"""Row scopes and filters as SQL text: the very tortoise conditions the resolvers use, rendered once.

    sql, params = condition(models.Ticket, scope & ticket_q(where, ...), annotations)

The text qualifies columns with the table's name (``"tickets"."status"``): the compiler names every table
of a statement after itself, so the condition applies to the level it is placed in. Parameters come back
as a list and the text holds ``PARAM`` markers where they go. Renderings are cached by the caller's key
(the plan, the filter, the departments' generation): a warm request renders nothing.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from tortoise.expressions import Q

from rapport.compiler import NotCompiled
from rapport.compiler.dialect import PARAM

_NUMBERED = re.compile(r"\$(\d+)")
CACHE_SIZE = 4096
_cache: OrderedDict[Any, tuple[str, tuple[Any, ...]]] = OrderedDict()


def lookup(key: Any) -> tuple[str, tuple[Any, ...]] | None:
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
    return found


def remember(key: Any, rendered: tuple[str, tuple[Any, ...]]) -> None:
    _cache[key] = rendered
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def condition(model: Any, q: Q, annotations: Any = None, key: Any = None) -> tuple[str, tuple[Any, ...]]:
    """``q`` on ``model`` as (SQL text with PARAM markers, parameters); "1=1" for an empty condition."""
    if key is not None:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    rendered = _render(model, q, annotations)
    if key is not None:
        _cache[key] = rendered
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return rendered


def _categorical() -> frozenset[str]:
    """Values of the core's enums: a condition on them is written into the statement, not bound."""
    from rapport import models

    enums = (models.CustomerSegment, models.CustomerTier, models.TicketStatus, models.TicketPriority,
             models.InteractionChannel, models.InteractionDirection)
    return frozenset(str(member.value) for enum in enums for member in enum)


CATEGORICAL = _categorical()


def _inline(text: str, params: list[Any]) -> tuple[str, tuple[Any, ...]]:
    """Write integers and enum values into the text; bind the rest.

    A statement is prepared once per connection and PostgreSQL then plans it generically: a plan that
    cannot know which department or status is asked picks the wrong index (the ticket queue ran 5-10x
    slower). Written in, these values give each combination its own statement and its own plan; they are
    few (departments, statuses, ids of a filter), and none is free text."""
    parts = text.split(PARAM)
    out = [parts[0]]
    bound: list[Any] = []
    for value, part in zip(params, parts[1:], strict=True):
        if isinstance(value, int) and not isinstance(value, bool):
            out.append(str(int(value)))
        elif isinstance(value, str) and value in CATEGORICAL:
            out.append("'" + value + "'")
        else:
            out.append(PARAM)
            bound.append(value)
        out.append(part)
    return "".join(out), tuple(bound)


def _render(model: Any, q: Q, annotations: Any) -> tuple[str, tuple[Any, ...]]:
    qs = model.filter(q)
    if annotations is not None and annotations.expressions:
        qs = annotations.apply(qs)
    qs = qs.only("id")
    qs._choose_db_if_not_chosen()
    qs._make_query()
    sql, params = qs.query.get_parameterized_sql()
    # The main WHERE: after the table (an annotation in the select list may hold a WHERE of its own).
    head, where, tail = sql.partition(f' FROM "{model._meta.db_table}" WHERE ')
    if not where:
        if f' FROM "{model._meta.db_table}"' not in sql or " WHERE " in sql.partition(f' FROM "{model._meta.db_table}"')[2]:
            raise NotCompiled("a condition the compiler cannot place")
        return "1=1", ()
    if " ORDER BY " in tail or " GROUP BY " in tail or " LIMIT " in tail:
        raise NotCompiled("a condition that is more than a WHERE clause")
    if qs._db.capabilities.dialect == "sqlite":
        text = tail.replace("?", PARAM)
        if text.count(PARAM) != len(params):
            raise NotCompiled("unexpected placeholders in a condition")
        text, bound = _inline(text, list(params))
        return f"({text})", bound
    numbers = [int(n) for n in _NUMBERED.findall(tail)]
    if numbers != list(range(1, len(params) + 1)):
        raise NotCompiled("unexpected placeholders in a condition")
    text, bound = _inline(_NUMBERED.sub(PARAM, tail), list(params))
    return f"({text})", bound
