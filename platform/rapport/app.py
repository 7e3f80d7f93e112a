"""``create_app(settings)``: the Starlette application (GraphQL endpoint, health check, middleware)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import Scope
from tortoise import Tortoise

from rapport.auth.middleware import AuthenticationMiddleware
from rapport.db import tortoise_config
from rapport.graphql.schema import build_schema
from rapport.graphql.view import RapportGraphQL
from rapport.log import configure_logging
from rapport.settings import Settings, load_settings
from rapport.web.body_limit import BodySizeLimitMiddleware
from rapport.web.health import healthz
from rapport.web.request_id import RequestIdMiddleware

if TYPE_CHECKING:
    from rapport.authz.notifier import PolicyNotifier

GRAPHQL_PATH = "/graphql"


def create_app(settings: Settings, *, manage_database: bool = True) -> Starlette:
    """The application. ``manage_database=False`` leaves tortoise's lifecycle to the caller (tests)."""
    graphql = RapportGraphQL(build_schema(settings), settings)

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
        notifier = await _start_policy_notifier(settings)
        try:
            yield
        finally:
            if notifier is not None:
                await notifier.stop()
            if manage_database:
                await Tortoise.close_connections()

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(AuthenticationMiddleware, signing_key=settings.signing_key, allow_anonymous=may_load_ide),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app


async def _start_policy_notifier(settings: Settings) -> PolicyNotifier | None:
    """Policy changes of other processes: the version poll always, the redis notifier when configured."""
    from rapport.authz.enforcer import get_engine
    from rapport.authz.notifier import PolicyNotifier

    get_engine().poll_interval = settings.policy_poll_interval
    if not settings.redis_url:
        return None  # embedded: one process, and the store invalidates its engine itself
    notifier = PolicyNotifier(settings.redis_url)
    await notifier.start()
    return notifier


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory`` (each worker process builds its own app from the env)."""
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)
