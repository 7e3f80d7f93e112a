"""The long-running processes: ``rapport serve`` (the GraphQL API) and ``rapport worker`` (background jobs)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rapport import __version__
from rapport.cli.command import CommandError, run_with_database
from rapport.cli.database import print_seed, seed_policy
from rapport.settings import Settings


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from rapport.cli.plugins import check_plugins
    from rapport.migrator import migrate

    check_plugins(settings)  # a plugin that cannot load stops the start (unless RAPPORT_PLUGINS_OPTIONAL=1)
    _check_service_config(settings)
    settings.signing_key  # noqa: B018 - create the development key now, before worker processes race to
    asyncio.run(migrate(settings, progress=print))
    if args.demo:
        from rapport.services.demo_data import seed_demo

        print_seed(run_with_database(settings, seed_demo))
    run_with_database(settings, seed_policy)
    host = args.host or settings.host
    port = args.port or settings.port
    ide = " (GraphiQL in a browser)" if settings.graphiql_enabled else ""
    print(f"Rapport {__version__} serving GraphQL at http://{host}:{port}/graphql{ide}", flush=True)
    uvicorn.run(
        "rapport.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level=settings.log_level,
        **proxy_options(settings),
        timeout_graceful_shutdown=int(settings.shutdown_timeout),  # SIGTERM: in-flight requests finish, bounded
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy-header options: believe X-Forwarded-For only from RAPPORT_TRUSTED_PROXIES.

    uvicorn's own default trusts 127.0.0.1 (or $FORWARDED_ALLOW_IPS), so any local process could choose
    its client address; both are always set explicitly here."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxies}


def _check_service_config(settings: Settings) -> None:
    """A broken RAPPORT_SERVICE_CONFIG stops the start with one readable line."""
    from rapport.services.service_config import ServiceConfigError, load_service_config

    if settings.service_config:
        try:
            load_service_config(settings.service_config)
        except ServiceConfigError as exc:
            raise CommandError(str(exc)) from None


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.cli.plugins import check_plugins
    from rapport.jobs.worker import WorkerNeedsRedis, run

    check_plugins(settings)
    _check_service_config(settings)
    try:
        status = run(settings, processes=args.processes)
    except WorkerNeedsRedis as exc:
        raise CommandError(str(exc)) from None
    if status:
        raise CommandError(f"the worker stopped with status {status}")


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="apply migrations and serve the GraphQL API")
    serve.add_argument("--host", help="address to bind (default RAPPORT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default RAPPORT_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--demo", action="store_true", help="seed the demo data when the database is empty")
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser("worker", help="run background jobs from the redis queue (production)")
    worker.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    worker.set_defaults(func=cmd_worker)
