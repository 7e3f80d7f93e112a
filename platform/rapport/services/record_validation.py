"""Plugins' ``validate_record`` checks, run by every write of a customer, interaction or ticket after the
core's own validation and inside the write's transaction (a plugin that raises aborts it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.auth.actor import Actor
from rapport.plugin_host import PluginFailure
from rapport.services.errors import DomainError, Problem

HOOK = "validate_record"


def plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values as plugins see them: enums as their values."""
    return {key: getattr(value, "value", value) for key, value in values.items()}


async def validate_record(
    entity: str, record: Mapping[str, Any], changes: Mapping[str, Any], previous: Mapping[str, Any] | None, actor: Actor | None
) -> None:
    """Raise DomainError with every problem the plugins report (PluginFailure when one raises)."""
    from rapport.plugins import active

    host = active()
    if not host.implementations(HOOK):
        return
    problems: list[Problem] = []
    results = await host.call_each(HOOK, entity=entity, record=plain(record), changes=plain(changes),
                                   previous=plain(previous) if previous is not None else None, actor=actor, settings=host.settings)
    for plugin, found in results:
        for problem in found:
            if not isinstance(problem, Problem):
                raise PluginFailure(host.owner(plugin), HOOK, f"returned {type(problem).__name__} instead of Problem")
            problems.append(problem)
    if problems:
        raise DomainError(problems)


def record_of(row: Any) -> dict[str, Any]:
    """A stored row's columns (for ``previous``)."""
    return {name: getattr(row, name) for name in row._meta.db_fields if name not in ("classification",)}
