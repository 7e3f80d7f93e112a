"""The plugin manager: built-in plugins, installed ones (entry-point group ``rapport.plugins``), and the
host that dispatches hooks.

Every process (the app, ``rapport worker``, a command, a test) loads its own :class:`PluginHost` with
:func:`load_plugins`; code that runs inside it finds that host with :func:`active` (a context variable
set per request and per job, falling back to the process's host). Nothing here is a module-level
manager shared between apps, so tests can build apps with different plugins side by side.

Choosing plugins (settings, i.e. environment variables):

- ``RAPPORT_PLUGINS``: unset = every installed plugin; empty = none; ``a,b`` = only those (a name that
  is not installed is an error).
- ``RAPPORT_DISABLE_PLUGINS=a,b``: never register these (built-ins included, e.g.
  ``rapport.classification`` to drop the default classification rules).
- ``RAPPORT_PLUGINS_OPTIONAL=1``: start even when a plugin fails to load (it is reported and left out).
- ``RAPPORT_TRACE_PLUGINS=1``: log every hook call with its plugin and duration.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.metadata
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import pluggy
import structlog

from rapport import hookspecs
from rapport.plugin_host import PluginHost
from rapport.settings import Settings, load_settings

log = structlog.get_logger("rapport.plugins")

PROJECT_NAME = "rapport"
ENTRY_POINT_GROUP = "rapport.plugins"

BUILTIN_PLUGINS: tuple[str, ...] = (
    "rapport.builtins.classification",  # default segment and tier rules
    "rapport.builtins.jobs",  # outbox relay and periodic re-classification
    "rapport.builtins.indexes",  # expression indexes of indexed custom fields (startup)
)
"""Modules registered first, under their module name minus ``.builtins`` (``rapport.classification``).
The core uses its own hooks through these; add a module here to add a built-in consumer or rule."""


class PluginLoadError(Exception):
    """One or more plugins could not be loaded; the message lists each, one per line."""

    def __init__(self, failures: Iterable[LoadFailure]):
        self.failures = list(failures)
        lines = "\n".join(f"  {failure}" for failure in self.failures)
        super().__init__(f"{len(self.failures)} plugin(s) failed to load (set RAPPORT_PLUGINS_OPTIONAL=1 to start without them):\n{lines}")


@dataclass(frozen=True)
class LoadFailure:
    plugin: str
    distribution: str | None
    error: str

    def __str__(self) -> str:
        source = f" (from {self.distribution})" if self.distribution else ""
        return f"{self.plugin}{source}: {self.error}"


def make_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def builtin_name(module: str) -> str:
    return module.replace(".builtins.", ".")


def _names(text: str | None) -> set[str]:
    return {part.strip() for part in (text or "").split(",") if part.strip()}


def _unknown_hooks(manager: pluggy.PluginManager, plugin: object) -> list[str]:
    """Hook implementations of ``plugin`` that match no specification (a misspelt hook name)."""
    known = set(vars(manager.hook))
    problems = []
    for attribute in dir(plugin):
        opts = manager.parse_hookimpl_opts(plugin, attribute)
        if opts is None or opts.get("optionalhook"):
            continue
        name = opts.get("specname") or attribute
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            problems.append(f"implements unknown hook {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return problems


def _entry_points() -> Iterator[tuple[importlib.metadata.EntryPoint, importlib.metadata.Distribution]]:
    seen: set[str] = set()
    for dist in importlib.metadata.distributions():
        for entry_point in dist.entry_points:
            if entry_point.group == ENTRY_POINT_GROUP and entry_point.name not in seen:
                seen.add(entry_point.name)
                yield entry_point, dist


def _register(manager: pluggy.PluginManager, plugin: object, name: str) -> str | None:
    """Register ``plugin``; the reason it cannot be, or None."""
    unknown = _unknown_hooks(manager, plugin)
    if unknown:
        return "; ".join(unknown)
    try:
        manager.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


def load_plugins(
    settings: Settings, *, extra: Iterable[object] = (), entry_points: bool = True
) -> PluginHost:
    """The plugin host of a process: built-ins, then the selected installed plugins, then ``extra``
    (plugin objects or modules, e.g. a test's, or ``(name, plugin)`` pairs). Raises :class:`PluginLoadError` when a plugin fails to
    import or register (unless ``RAPPORT_PLUGINS_OPTIONAL=1``)."""
    manager = make_manager()
    disabled = _names(settings.disable_plugins)
    for name in disabled:
        manager.set_blocked(name)
    failures: list[LoadFailure] = []
    distributions: dict[str, importlib.metadata.Distribution] = {}
    for module in BUILTIN_PLUGINS:
        name = builtin_name(module)
        if name not in disabled:
            problem = _register(manager, importlib.import_module(module), name)
            if problem:
                raise RuntimeError(f"built-in plugin {name}: {problem}")
    wanted = None if settings.plugins is None else _names(settings.plugins)
    if entry_points and wanted != set():
        found: set[str] = set()
        for entry_point, dist in _entry_points():
            if (wanted is not None and entry_point.name not in wanted) or entry_point.name in disabled:
                continue
            found.add(entry_point.name)
            dist_name = f"{dist.metadata['Name']} {dist.version}"
            try:
                plugin = entry_point.load()
            except Exception as exc:  # any import-time error of a plugin is reported, not raised
                failures.append(LoadFailure(entry_point.name, dist_name, f"import failed: {exc.__class__.__name__}: {exc}"))
                continue
            problem = _register(manager, plugin, entry_point.name)
            if problem:
                failures.append(LoadFailure(entry_point.name, dist_name, problem))
                continue
            distributions[entry_point.name] = dist
        failures += [
            LoadFailure(name, None, "asked for by RAPPORT_PLUGINS but not installed")
            for name in sorted((wanted or set()) - found - disabled)
        ]
    for plugin in extra:
        if isinstance(plugin, tuple):  # ("rapport-example", module): registered under the entry point's name
            base, plugin = plugin
        else:
            base = getattr(plugin, "__name__", None) or plugin.__class__.__name__
        name = base
        number = 1
        while manager.has_plugin(name):  # two instances of one class: Recorder, Recorder#2
            number += 1
            name = f"{base}#{number}"
        problem = _register(manager, plugin, name)
        if problem:
            failures.append(LoadFailure(name, None, problem))
    if failures and not settings.plugins_optional:
        raise PluginLoadError(failures)
    for failure in failures:
        log.error("plugin not loaded", plugin=failure.plugin, distribution=failure.distribution, error=failure.error)
    manager.check_pending()
    if settings.trace_plugins:
        manager.trace.root.setwriter(lambda message: log.info("pluggy", trace=message.rstrip()))
        manager.enable_tracing()
    return PluginHost(manager, settings, distributions=distributions, failures=failures)


# ---------------------------------------------------------------- the active host

_current: ContextVar[PluginHost | None] = ContextVar("rapport_plugin_host", default=None)
_process_host: PluginHost | None = None


def active() -> PluginHost:
    """The plugin host of the running request or job; else the process's (loaded from the
    environment on first use)."""
    global _process_host
    host = _current.get() or _process_host
    if host is None:
        host = _process_host = load_plugins(load_settings())
    return host


@contextlib.contextmanager
def activated(host: PluginHost) -> Iterator[PluginHost]:
    """Make ``host`` the active one inside the block (this task and the tasks it starts)."""
    token = _current.set(host)
    try:
        yield host
    finally:
        _current.reset(token)


def use_process_host(host: PluginHost | None) -> PluginHost | None:
    """Set (or with None, forget) the process's fallback host; return the previous one."""
    global _process_host
    previous, _process_host = _process_host, host
    return previous


async def sla_policy_for(context: Any) -> Any:
    """The ``sla_policy`` answer of the active plugins for a ticket (``services.sla_policies`` asks this)."""
    return await active().sla_policy(context)
