"""The database commands: ``rapport migrate``, ``rapport makemigrations``, ``rapport seed``."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rapport.cli.command import CommandError, run_with_database
from rapport.settings import Settings


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.migrator import migrate

    asyncio.run(migrate(settings, progress=print))
    print("database is up to date")
    _custom_field_indexes(settings)


def _custom_field_indexes(settings: Settings) -> None:
    """Expression indexes of the installed plugins' indexed custom fields (idempotent)."""
    from tortoise import connections

    from rapport.cli.plugins import load_host
    from rapport.custom_fields.sql import ensure_indexes

    host = load_host(settings)

    async def work() -> list[str]:
        return await ensure_indexes(host.fields, connections.get("default"))

    for name in run_with_database(settings, work):
        print(f"custom field index {name} is in place")


def cmd_makemigrations(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.migrator import make_migrations, pending_changes

    if args.check:
        pending = asyncio.run(pending_changes(settings))
        if pending:
            names = ", ".join(writer.name for writer in pending)
            raise CommandError(f"the models have changes without a migration ({names}): run `rapport makemigrations`")
        print("no model changes without a migration")
        return
    paths = asyncio.run(make_migrations(settings, args.name))
    for path in paths:
        print(f"created {path}")
    if not paths:
        print("no changes detected")


def cmd_seed(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.migrator import migrate
    from rapport.services.demo_data import seed_demo

    if not args.demo:
        raise CommandError("say what to seed: `rapport seed --demo`")
    asyncio.run(migrate(settings))
    summary = run_with_database(settings, seed_demo)
    print_seed(summary)
    run_with_database(settings, seed_policy)


async def seed_policy() -> None:
    """The access rules live in the database; a new database starts from policies/policy.csv."""
    from rapport.authz.store import seed_default_policy

    if await seed_default_policy():
        print("access policy seeded from policies/policy.csv")


def print_seed(summary: Any) -> None:
    """One line on what the demo data seed did."""
    if summary.created:
        print(
            f"demo data created: {summary.departments} departments, {summary.agents} agents, "
            f"{summary.customers} customers, {summary.interactions} interactions, {summary.tickets} tickets"
        )
    else:
        print("the database already has data: demo data not added")


def register(commands: Any) -> None:
    migrate = commands.add_parser("migrate", help="apply the database migrations")
    migrate.set_defaults(func=cmd_migrate)

    makemigrations = commands.add_parser("makemigrations", help="write migrations for model changes (developers)")
    makemigrations.add_argument("--name", help="name of the new migration, e.g. add_ticket_counter")
    makemigrations.add_argument("--check", action="store_true", help="exit 1 if a migration is missing; write nothing")
    makemigrations.set_defaults(func=cmd_makemigrations)

    seed = commands.add_parser("seed", help="load data into an empty database")
    seed.add_argument("--demo", action="store_true", help="the deterministic demo data set")
    seed.set_defaults(func=cmd_seed)
