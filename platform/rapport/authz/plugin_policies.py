"""Policy lines plugins need, added to the stored policy once.

Two sources: each plugin's ``default_policies`` lines, and for every PII custom field the line
``g2, customer.<name>, customer.pii`` (so the field is masked like email and phone). A line is added
the first time a process starts with the plugin installed (a ``plugin_default`` policy change by
``plugin:<name>``); a line a security admin later removes is not added again. A database without
rules is left alone: it is seeded from policies/policy.csv first, then the plugins' lines join.
"""

from __future__ import annotations

import structlog

from rapport.authz.rules import Assignment, parse_policy
from rapport.authz.store import add_plugin_default, has_rules
from rapport.models import PolicyChange
from rapport.plugin_host import PluginHost
from rapport.plugins import activated
from rapport.services.errors import DomainError, ErrorCode

log = structlog.get_logger("rapport.authz")

CHANGE = "plugin_default"


def wanted_lines(host: PluginHost) -> list[tuple[str, str]]:
    """(owner, CSV line) for every line the host's plugins need."""
    lines = [(host.owner(plugin), line) for plugin, line in host.default_policies]
    lines += [(field.owner, f"g2, customer.{field.name}, customer.pii") for field in host.fields.pii("customer")]
    return lines


async def sync_plugin_policies(host: PluginHost) -> list[str]:
    """Add the lines not added before; return them (CSV)."""
    with activated(host):  # custom field resources are known through the active host
        if not await has_rules():
            return []
        added = []
        for owner, text in wanted_lines(host):
            lines = list(parse_policy(text))
            if len(lines) != 1 or isinstance(lines[0], Assignment):
                raise DomainError.single(ErrorCode.INVALID, f"plugin {owner}: default policy {text!r} must be one p or g2 line")
            line = lines[0]
            if await PolicyChange.filter(change=CHANGE, actor=f"plugin:{owner}", rule=line.csv()).exists():
                continue
            try:
                await add_plugin_default(line, plugin=owner)
            except DomainError as exc:
                if any(problem.code == ErrorCode.DUPLICATE for problem in exc.problems):
                    continue  # an admin wrote it already
                raise
            added.append(line.csv())
            log.info("plugin policy line added", plugin=owner, line=line.csv())
        return added
