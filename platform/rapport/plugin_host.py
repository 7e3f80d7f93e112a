"""``PluginHost``: one process's plugins, and the dispatcher that calls their hooks.

Rapport calls each implementation itself (not through pluggy's hook caller) so that it can await
async implementations, let only a non-None *awaited* result win a "first result" hook, and name the
plugin whose implementation raised. The order is pluggy's: tryfirst, then newest-registered first,
then trylast (wrappers are not supported).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import time
from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pluggy
import structlog

from rapport.services.errors import DomainError, ErrorCode, Problem
from rapport.settings import Settings

if TYPE_CHECKING:
    from rapport.custom_fields.catalog import FieldCatalog
    from rapport.plugin_api import ClassificationRule, GraphQLExtensions, PeriodicJob
    from rapport.plugins import LoadFailure

log = structlog.get_logger("rapport.plugins")

QUIET_HOOKS = frozenset({"on_event"})  # failures expected and reported by their caller (the relay retries)
CORE = "rapport"  # the owner name of built-in plugins in reasons, field descriptions and listings


class PluginFailure(DomainError):
    """A plugin's implementation raised. As a DomainError it aborts the write (PLUGIN_FAILED) and is
    reported to the client naming the plugin; the traceback goes to the log."""

    def __init__(self, plugin: str, hook: str, error: BaseException | str):
        self.plugin = plugin
        self.hook = hook
        self.error = error
        what = error if isinstance(error, str) else error.__class__.__name__
        super().__init__(Problem(ErrorCode.PLUGIN_FAILED, f"plugin {plugin!r} failed in {hook} ({what}); nothing was saved"))


class PluginHost:
    """The plugins of one process and the calls into them."""

    def __init__(
        self,
        manager: pluggy.PluginManager,
        settings: Settings,
        *,
        distributions: dict[str, importlib.metadata.Distribution] | None = None,
        failures: Iterable[LoadFailure] = (),
    ) -> None:
        self.manager = manager
        self.settings = settings
        self.distributions = distributions or {}
        self.failures = list(failures)
        self.trace = settings.trace_plugins
        self.fields  # noqa: B018 - build the catalog now: a bad definition must stop the start

    # --- names --------------------------------------------------------------------------------------

    def owner(self, plugin_name: str) -> str:
        """How a plugin is named to people: built-ins are all ``rapport``."""
        return CORE if self.is_builtin(plugin_name) else plugin_name

    def is_builtin(self, plugin_name: str) -> bool:
        module = getattr(self.manager.get_plugin(plugin_name), "__name__", "")
        return module.startswith("rapport.builtins.")

    def version_of(self, plugin_name: str) -> str | None:
        dist = self.distributions.get(plugin_name)
        if dist is not None:
            return dist.version
        if self.is_builtin(plugin_name):
            from rapport import __version__

            return __version__
        return getattr(self.manager.get_plugin(plugin_name), "__version__", None)

    def plugin_names(self) -> list[str]:
        return [name for name, plugin in self.manager.list_name_plugin() if plugin is not None]

    def hooks_of(self, plugin_name: str) -> list[str]:
        plugin = self.manager.get_plugin(plugin_name)
        return sorted(caller.name for caller in self.manager.get_hookcallers(plugin) or [])

    # --- dispatch -----------------------------------------------------------------------------------

    def implementations(self, hook: str) -> list[pluggy.HookImpl]:
        """The implementations of ``hook`` in call order."""
        caller = getattr(self.manager.hook, hook)
        return [impl for impl in reversed(caller.get_hookimpls()) if not (impl.wrapper or impl.hookwrapper)]

    def _start(self, impl: pluggy.HookImpl, hook: str, kwargs: dict[str, Any]) -> Any:
        try:
            return impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:
            raise self._failure(impl, hook, exc) from exc

    def _failure(self, impl: pluggy.HookImpl, hook: str, exc: Exception) -> PluginFailure:
        if isinstance(exc, PluginFailure):
            return exc
        plugin = self.owner(impl.plugin_name)
        if hook not in QUIET_HOOKS:
            log.error("plugin failed", plugin=impl.plugin_name, hook=hook, exc_info=exc)
        return PluginFailure(plugin, hook, exc)

    def _traced(self, impl: pluggy.HookImpl, hook: str, started: float, result: Any) -> None:
        if self.trace:
            log.info("plugin hook", hook=hook, plugin=impl.plugin_name, ms=round((time.perf_counter() - started) * 1000, 3),
                     result=type(result).__name__)

    async def call_impl(self, impl: pluggy.HookImpl, hook: str, **kwargs: Any) -> Any:
        """One implementation, awaited; an exception becomes a PluginFailure naming the plugin."""
        started = time.perf_counter()
        result = self._start(impl, hook, kwargs)
        if inspect.isawaitable(result):
            try:
                result = await result
            except Exception as exc:
                raise self._failure(impl, hook, exc) from exc
        self._traced(impl, hook, started, result)
        return result

    async def call_each(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Every implementation in call order, awaited: ``(plugin name, result)`` for non-None results."""
        results = []
        for impl in self.implementations(hook):
            result = await self.call_impl(impl, hook, **kwargs)
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    async def call_first(self, hook: str, **kwargs: Any) -> tuple[str, Any] | None:
        """The first non-None awaited result in call order, with its plugin's name (None if none)."""
        for impl in self.implementations(hook):
            result = await self.call_impl(impl, hook, **kwargs)
            if result is not None:
                return impl.plugin_name, result
        return None

    def call_each_sync(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """For the synchronous hooks (collected while building): an awaitable result is an error."""
        results = []
        for impl in self.implementations(hook):
            started = time.perf_counter()
            result = self._start(impl, hook, kwargs)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise PluginFailure(self.owner(impl.plugin_name), hook, f"{hook} must be synchronous")
            self._traced(impl, hook, started, result)
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    # --- what the plugins declare (collected once) --------------------------------------------------

    @cached_property
    def fields(self) -> FieldCatalog:
        from rapport.custom_fields.catalog import FieldCatalog

        return FieldCatalog.collect(self)

    @cached_property
    def rules(self) -> list[tuple[str, ClassificationRule]]:
        return [(name, rule) for name, rules in self.call_each_sync("classification_rules", settings=self.settings) for rule in rules]

    @cached_property
    def graphql_extensions(self) -> list[tuple[str, GraphQLExtensions]]:
        return self.call_each_sync("graphql_extensions", settings=self.settings)

    @cached_property
    def periodic_jobs(self) -> list[tuple[str, PeriodicJob]]:
        return [(name, job) for name, jobs in self.call_each_sync("periodic_jobs", settings=self.settings) for job in jobs]

    @cached_property
    def default_policies(self) -> list[tuple[str, str]]:
        return [(name, line) for name, lines in self.call_each_sync("default_policies", settings=self.settings) for line in lines]

    def consumers(self) -> list[tuple[str, pluggy.HookImpl]]:
        """Event consumers: one per plugin implementing ``on_event``, named by the plugin."""
        return [(impl.plugin_name, impl) for impl in self.implementations("on_event")]

    # --- conveniences for the core ------------------------------------------------------------------

    async def startup(self, app: Any = None) -> None:
        await self.call_each("startup", settings=self.settings, app=app)

    async def shutdown(self, app: Any = None) -> None:
        for impl in self.implementations("shutdown"):
            try:
                await self.call_impl(impl, "shutdown", settings=self.settings, app=app)
            except PluginFailure:
                pass  # logged by the dispatcher; the next plugin still shuts down

    async def sla_policy(self, ticket: Any) -> Any:
        """The first plugin's SLA policy for a ticket (a TicketContext), or None: the configuration decides."""
        found = await self.call_first("sla_policy", ticket=ticket, settings=self.settings)
        return found[1] if found else None

    async def assign_ticket(self, ticket: Any) -> int | None:
        """The first plugin's assignee for a ticket (an AssignmentContext), or None: the strategy decides."""
        found = await self.call_first("assign_ticket", ticket=ticket, settings=self.settings)
        return found[1] if found else None
