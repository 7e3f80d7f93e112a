"""``create_app(settings)``: the Starlette application (GraphQL endpoint, health check, middleware)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise import Tortoise

from rapport.auth.middleware import AuthenticationMiddleware
from rapport.db import tortoise_config
from rapport.graphql.schema import build_schema
from rapport.graphql.view import RapportGraphQL
from rapport.log import configure_logging
from rapport.plugin_host import PluginHost
from rapport.plugins import activated, load_plugins, use_process_host
from rapport.runtime import freeze_long_lived, start_runtime, thaw
from rapport.settings import Settings, load_settings
from rapport.web.body_limit import BodySizeLimitMiddleware
from rapport.web.client_limit import ClientRateLimitMiddleware
from rapport.web.cors import AllowedOriginsCORS
from rapport.web.database_busy import DatabaseBusyMiddleware
from rapport.web.health import healthz
from rapport.web.rate_limit import build_rate_limiter
from rapport.web.request_id import RequestIdMiddleware

if TYPE_CHECKING:
    from rapport.authz.notifier import PolicyNotifier

GRAPHQL_PATH = "/graphql"


def create_app(settings: Settings, *, manage_database: bool = True, plugins: PluginHost | None = None) -> Starlette:
    """The application. ``manage_database=False`` leaves tortoise's lifecycle to the caller (tests).

    ``plugins``: the plugin host (default: loaded from the settings; raises PluginLoadError when a
    plugin cannot load). It is this app's own: active in its requests and its lifespan."""
    host = plugins if plugins is not None else load_plugins(settings)
    graphql = RapportGraphQL(build_schema(settings, host), settings)
    rate_limiter = build_rate_limiter(settings.redis_url, settings.redis_namespace)  # the IP middleware's and the QueryCost extension's

    def may_load_ide(scope: Scope) -> bool:
        # The GraphiQL page itself carries no data: it may load without a token (queries still need one).
        if not settings.graphiql_enabled or scope["type"] != "http" or scope["method"] != "GET":
            return False
        accept = dict(scope["headers"]).get(b"accept", b"")
        return scope["path"] == GRAPHQL_PATH and b"text/html" in accept

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        with activated(host):
            await start_plugins(host, app)  # startup hooks (custom field indexes), plugins' policy lines
            notifier = await _start_policy_notifier(settings)
            runtime = await start_runtime(settings)  # service config, live bus, in-process jobs (embedded)
            freeze_long_lived()
            try:
                yield
            finally:
                thaw()
                await runtime.stop()
                await rate_limiter.close()
                await host.shutdown(app)
            if notifier is not None:
                await notifier.stop()
            if manage_database:
                await Tortoise.close_connections()

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
            WebSocketRoute(GRAPHQL_PATH, graphql),  # subscriptions (graphql-transport-ws)
        ],
        middleware=[
            Middleware(PluginContextMiddleware, plugins=host),
            Middleware(RequestIdMiddleware),
            # Browser apps on other origins: preflights answered before rate limits and authentication.
            *([Middleware(AllowedOriginsCORS, origins=settings.cors_origin_set)] if settings.cors_origin_set else []),
            Middleware(DatabaseBusyMiddleware),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(ClientRateLimitMiddleware, limiter=rate_limiter, capacity=settings.rate_limit_ip,
                       window=settings.rate_limit_window, enabled=settings.rate_limit_enabled),
            Middleware(AuthenticationMiddleware, signing_key=settings.signing_key, allow_anonymous=may_load_ide, plugins=host),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rate_limiter = rate_limiter
    app.state.plugins = host
    return app


async def start_plugins(host: PluginHost, app: Starlette | None = None) -> None:
    """What a process does with its plugins once the database is open: their startup hooks, then the
    policy lines they need (only into a database whose policy is seeded)."""
    from rapport.authz.plugin_policies import sync_plugin_policies

    await host.startup(app)
    await sync_plugin_policies(host)


class PluginContextMiddleware:
    """Makes the app's plugin host the active one for each request (``rapport.plugins.active()``)."""

    def __init__(self, app: ASGIApp, plugins: PluginHost) -> None:
        self.app = app
        self.plugins = plugins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with activated(self.plugins):
            await self.app(scope, receive, send)


async def _start_policy_notifier(settings: Settings) -> PolicyNotifier | None:
    """Policy changes of other processes: the version poll always, the redis notifier when configured."""
    from rapport.authz.enforcer import get_engine
    from rapport.authz.notifier import PolicyNotifier, channel_for

    get_engine().poll_interval = settings.policy_poll_interval
    if not settings.redis_url:
        return None  # embedded: one process, and the store invalidates its engine itself
    notifier = PolicyNotifier(settings.redis_url, channel=channel_for(settings.redis_namespace))
    await notifier.start()
    return notifier


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory`` (each worker process builds its own app from the env)."""
    settings = load_settings()
    configure_logging(settings)
    host = load_plugins(settings)
    use_process_host(host)  # work outside requests (jobs, the live bus) uses the same plugins
    return create_app(settings, plugins=host)
