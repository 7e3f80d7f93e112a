"""The ``rapport`` command line: serve, migrate, seed, tokens, API keys, schema export."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tortoise.context import TortoiseContext

from rapport import __version__
from rapport.db import tortoise_config
from rapport.settings import Settings, SettingsError, load_settings

T = TypeVar("T")


class CommandError(Exception):
    """A command cannot do what it was asked; the message is shown as is, exit status 1."""


def run_with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` with tortoise initialised, closing connections even when it fails."""

    async def runner() -> T:
        async with TortoiseContext() as context:  # closes the connections on the way out, also on errors
            await context.init(config=tortoise_config(settings))
            return await work()

    return asyncio.run(runner())


# ---------------------------------------------------------------- commands


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.migrator import migrate

    asyncio.run(migrate(settings, progress=print))
    print("database is up to date")
    _custom_field_indexes(settings)


def _custom_field_indexes(settings: Settings) -> None:
    """Expression indexes of the installed plugins' indexed custom fields (idempotent)."""
    from tortoise import connections

    from rapport.custom_fields.sql import ensure_indexes
    from rapport.plugin_commands import load_host

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
    _print_seed(summary)
    run_with_database(settings, _seed_policy)


async def _seed_policy() -> None:
    """The access rules live in the database; a new database starts from policies/policy.csv."""
    from rapport.authz.store import seed_default_policy

    if await seed_default_policy():
        print("access policy seeded from policies/policy.csv")


def _print_seed(summary: Any) -> None:
    if summary.created:
        print(
            f"demo data created: {summary.departments} departments, {summary.agents} agents, "
            f"{summary.customers} customers, {summary.interactions} interactions, {summary.tickets} tickets"
        )
    else:
        print("the database already has data: demo data not added")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from rapport.migrator import migrate
    from rapport.plugin_commands import check_plugins

    check_plugins(settings)  # a plugin that cannot load stops the start (unless RAPPORT_PLUGINS_OPTIONAL=1)
    _check_service_config(settings)
    settings.signing_key  # noqa: B018 - create the development key now, before worker processes race to
    asyncio.run(migrate(settings, progress=print))
    if args.demo:
        from rapport.services.demo_data import seed_demo

        _print_seed(run_with_database(settings, seed_demo))
    run_with_database(settings, _seed_policy)
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
        proxy_headers=True,
        timeout_graceful_shutdown=int(settings.shutdown_timeout),  # SIGTERM: in-flight requests finish, bounded
    )


def _check_service_config(settings: Settings) -> None:
    """A broken RAPPORT_SERVICE_CONFIG stops the start with one readable line."""
    from rapport.services.service_config import ServiceConfigError, load_service_config

    if settings.service_config:
        try:
            load_service_config(settings.service_config)
        except ServiceConfigError as exc:
            raise CommandError(str(exc)) from None


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.jobs.worker import WorkerNeedsRedis, run
    from rapport.plugin_commands import check_plugins

    check_plugins(settings)
    _check_service_config(settings)
    try:
        status = run(settings, processes=args.processes)
    except WorkerNeedsRedis as exc:
        raise CommandError(str(exc)) from None
    if status:
        raise CommandError(f"the worker stopped with status {status}")


def cmd_token(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.auth.tokens import issue_token
    from rapport.models import Agent

    async def work() -> str:
        agent = await Agent.get_or_none(email=args.email.strip().lower())
        if agent is None:
            raise CommandError(f"no agent with email {args.email!r}")
        if not agent.active:
            raise CommandError(f"agent {args.email!r} is inactive")
        return issue_token(agent.id, settings.signing_key, args.ttl)

    print(run_with_database(settings, work))


def cmd_apikey_create(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.auth.actor import RoleGrant
    from rapport.auth.apikeys import create_api_key
    from rapport.models import Department

    try:
        grants = [RoleGrant.parse(text) for text in args.role]
    except ValueError as exc:
        raise CommandError(f"--role {exc}") from None

    async def work() -> str:
        department = None
        if args.department:
            department = await Department.get_or_none(code=args.department)
            if department is None:
                raise CommandError(f"no department with code {args.department!r}")
        try:
            _, raw = await create_api_key(args.name, grants, department)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return raw

    raw = run_with_database(settings, work)
    print(raw)
    print("Store this key now: it is shown once and only its hash is kept.", file=sys.stderr)


def cmd_report(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.services.reports import ReportArgumentError, ReportForbidden
    from rapport.services.reports.export import export_report, to_csv, to_json

    import structlog

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout is the report

    async def work() -> Any:
        return await export_report(args.as_email, args.name, args.period, args.group_by)

    try:
        result = run_with_database(settings, work)
    except (ReportArgumentError, LookupError) as exc:
        raise CommandError(str(exc)) from None
    except ReportForbidden as exc:
        raise CommandError(f"{args.as_email} may not {exc.action} {exc.resource}") from None
    print(f"{result.name} {result.period}: {result.definition}", file=sys.stderr)
    sys.stdout.write(to_csv(result) if args.format == "csv" else to_json(result))


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.graphql.sdl import export_sdl
    from rapport.plugin_commands import load_host

    sdl = export_sdl(load_host(settings) if args.with_plugins else None)
    if args.output:
        Path(args.output).write_text(sdl, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(sdl)


# ---------------------------------------------------------------- policy (access rules)


def _policy_db(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """run_with_database for the policy commands: domain errors and a missing schema become CommandError."""
    from tortoise.exceptions import OperationalError

    from rapport.services.errors import DomainError

    try:
        return run_with_database(settings, work)
    except DomainError as exc:
        raise CommandError("\n".join(problem.message for problem in exc.problems)) from None
    except OperationalError as exc:
        raise CommandError(f"the database is not ready ({exc}): run `rapport migrate` first") from None


def _policy_operator() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (containers)
        return "cli:unknown"


def _policy_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None


def _policy_load(settings: Settings, file: str | None) -> tuple[Any, str]:
    """The policy to evaluate and where it came from: --file, else the database's rules, else the
    shipped default rules (with the database's role grants)."""
    from rapport.authz.enforcer import CompiledPolicy, load_compiled
    from rapport.authz.model import default_policy_text
    from rapport.authz.rules import Policy, parse_policy
    from rapport.services.errors import DomainError

    try:
        if file:
            return CompiledPolicy.from_text(_policy_file(file), source=file), file
        compiled = _policy_db(settings, load_compiled)
        if compiled.policy.rules:
            return compiled, f"the database (policy version {compiled.version})"
        default = parse_policy(default_policy_text())
        merged = Policy(default.rules, default.groups, compiled.policy.assignments)
        source = "the shipped default policies/policy.csv (the database has no rules: `rapport policy seed`)"
        return CompiledPolicy(merged, 0, source="default"), source
    except DomainError as exc:
        raise CommandError("\n".join(problem.message for problem in exc.problems)) from None


def cmd_policy_check(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.authz.lint import check

    compiled, source = _policy_load(settings, args.file)
    policy = compiled.policy
    findings = check(policy)
    for finding in findings:
        print(finding)
    if findings:
        raise CommandError(f"{len(findings)} finding(s) in {source}")
    print(
        f"{source}: {len(policy.rules)} rules, {len(policy.groups)} field groups, "
        f"{len(policy.assignments)} role grants, no findings"
    )


def cmd_policy_test(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.authz.cases import CasesError, failures_table, parse_cases, run_cases
    from rapport.authz.model import default_cases_text

    cases_text = _policy_file(args.cases) if args.cases else default_cases_text()
    try:
        cases = parse_cases(cases_text)
    except CasesError as exc:
        raise CommandError(f"{args.cases or 'policies/cases.csv'}: {exc}") from None
    compiled, source = _policy_load(settings, args.file)
    print(f"policy: {source}")
    results = run_cases(compiled, cases)
    failed = [result for result in results if not result.passed]
    if failed:
        sys.stdout.write(failures_table(results))
        raise CommandError(f"{len(failed)} of {len(results)} cases failed")
    print(f"{len(results)} cases passed")


def cmd_policy_explain(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.authz.explain import explain_in, explain_scopes_in, format_decisions

    compiled, source = _policy_load(settings, args.file)
    print(f"policy: {source}", file=sys.stderr)
    request = (args.subject, args.resource, args.action, args.department)
    if args.scope:
        decisions = {args.scope: explain_in(compiled, *request, scope=args.scope)}
    else:
        decisions = explain_scopes_in(compiled, *request)
    sys.stdout.write(format_decisions(*request, decisions))


def cmd_policy_export(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.authz.store import export_rules

    sys.stdout.write(_policy_db(settings, export_rules))


def cmd_policy_import(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.authz.store import import_rules

    text = _policy_file(args.file)

    async def work() -> int:
        return await import_rules(text, by=_policy_operator())

    print(f"imported {args.file}: policy version {_policy_db(settings, work)}")


def cmd_policy_seed(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.authz.store import seed_default_policy
    from rapport.migrator import migrate

    asyncio.run(migrate(settings))
    if _policy_db(settings, seed_default_policy):
        print("default policy loaded from policies/policy.csv")
    else:
        print("the database has rules already: default policy not loaded")


def cmd_policy_change(settings: Settings, args: argparse.Namespace) -> None:
    """add / remove one line (p or g2), grant / revoke a role."""
    from rapport.authz import store
    from rapport.authz.rules import Assignment, parse_policy

    async def work() -> int:
        by = _policy_operator()
        if args.policy_command in ("grant", "revoke"):
            change = store.grant_role if args.policy_command == "grant" else store.revoke_role
            return await change(args.subject, args.role, by=by)
        lines = list(parse_policy(args.line))
        if len(lines) != 1 or isinstance(lines[0], Assignment):
            raise CommandError("give one p or g2 line, e.g. \"p, role:agent, *, customer, read, dept, allow\"")
        change = store.add_rule if args.policy_command == "add" else store.remove_rule
        return await change(lines[0], by=by)

    print(f"policy version {_policy_db(settings, work)}")


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport",
        description="Rapport: a headless CRM platform. Settings come from RAPPORT_* environment variables.",
    )
    parser.add_argument("--version", action="version", version=f"rapport {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="apply migrations and serve the GraphQL API")
    serve.add_argument("--host", help="address to bind (default RAPPORT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default RAPPORT_PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--demo", action="store_true", help="seed the demo data when the database is empty")
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser("worker", help="run background jobs from the redis queue (production)")
    worker.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    worker.set_defaults(func=cmd_worker)

    migrate = commands.add_parser("migrate", help="apply the database migrations")
    migrate.set_defaults(func=cmd_migrate)

    makemigrations = commands.add_parser("makemigrations", help="write migrations for model changes (developers)")
    makemigrations.add_argument("--name", help="name of the new migration, e.g. add_ticket_counter")
    makemigrations.add_argument("--check", action="store_true", help="exit 1 if a migration is missing; write nothing")
    makemigrations.set_defaults(func=cmd_makemigrations)

    seed = commands.add_parser("seed", help="load data into an empty database")
    seed.add_argument("--demo", action="store_true", help="the deterministic demo data set")
    seed.set_defaults(func=cmd_seed)

    token = commands.add_parser("token", help="print a bearer token for an agent")
    token.add_argument("email", help="the agent's email")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    token.set_defaults(func=cmd_token)

    apikey = commands.add_parser("apikey", help="manage API keys")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", metavar="ACTION", required=True)
    create = apikey_commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="unique name; the key's subject is key:<name>")
    create.add_argument("--role", action="append", required=True, metavar="ROLE@DEPT", help="a role grant (repeatable)")
    create.add_argument("--department", help="department code the key acts for (optional)")
    create.set_defaults(func=cmd_apikey_create)

    report = commands.add_parser("report", help="compute a standard report in an agent's scope (CSV or JSON)")
    report.add_argument("name", help="churnRate, satisfaction, slaCompliance, ticketVolume, firstResponseTime, "
                        "customerDistribution or interactionVolume")
    report.add_argument("--period", metavar="FROM..TO", help="half-open, UTC: 2024-01-01..2024-04-01 (or ISO datetimes)")
    report.add_argument("--group-by", metavar="DIMENSION", help="department, agent, segment, tier, category, priority, channel, month")
    report.add_argument("--format", choices=["csv", "json"], default="csv", help="output format (default csv)")
    report.add_argument("--as", dest="as_email", required=True, metavar="EMAIL",
                        help="the agent whose scope counts (needs export on report.<name>)")
    report.set_defaults(func=cmd_report)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o", help="write to this file instead of standard output")
    export.add_argument("--with-plugins", action="store_true",
                        help="include the installed plugins' fields and types (default: the core schema, as published)")
    export.set_defaults(func=cmd_export_schema)

    policy = commands.add_parser("policy", help="access policy: check, test, explain, export, import, seed, edit")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    from_file = argparse.ArgumentParser(add_help=False)
    from_file.add_argument("--file", metavar="POLICY_CSV", help="evaluate this policy file instead of the database")
    check = policy_commands.add_parser("check", parents=[from_file], help="report likely mistakes in the rules (exit 1)")
    check.set_defaults(func=cmd_policy_check)
    test = policy_commands.add_parser("test", parents=[from_file], help="check the expected decisions (exit 1 on a failure)")
    test.add_argument("cases", nargs="?", metavar="CASES_CSV", help="expected decisions (default: policies/cases.csv)")
    test.set_defaults(func=cmd_policy_test)
    explain = policy_commands.add_parser("explain", parents=[from_file], help="why a subject may or may not do something")
    explain.add_argument("subject", help="user:<email>, role:<name> or key:<name>")
    explain.add_argument("department", help="department code where the role is held, or *")
    explain.add_argument("resource", help="e.g. customer, customer.email, report.churnRate")
    explain.add_argument("action", help="read, read_masked, create, update, delete, export, manage")
    explain.add_argument("--scope", choices=["own", "dept", "all"], help="one scope (default: all three)")
    explain.set_defaults(func=cmd_policy_explain)
    policy_export = policy_commands.add_parser("export", help="print the stored policy as CSV")
    policy_export.set_defaults(func=cmd_policy_export)
    policy_import = policy_commands.add_parser("import", help="replace the stored rules with a CSV file (one transaction)")
    policy_import.add_argument("file", help="casbin CSV; role grants (g lines) are replaced only if the file has some")
    policy_import.set_defaults(func=cmd_policy_import)
    policy_seed = policy_commands.add_parser("seed", help="load policies/policy.csv into a database without rules")
    policy_seed.set_defaults(func=cmd_policy_seed)
    for name, text in (("add", "add one rule or field group"), ("remove", "remove one rule or field group")):
        edit = policy_commands.add_parser(name, help=text)
        edit.add_argument("line", help='e.g. "p, role:agent, *, customer, export, dept, allow"')
        edit.set_defaults(func=cmd_policy_change)
    for name, text in (("grant", "grant a role"), ("revoke", "revoke a role")):
        edit = policy_commands.add_parser(name, help=text)
        edit.add_argument("subject", help="user:<email> (or role:<name> to inherit)")
        edit.add_argument("role", metavar="ROLE@DEPT", help="e.g. agent@sales, analyst@*")
        edit.set_defaults(func=cmd_policy_change)
    from rapport.plugin_commands import register

    register(commands)  # plugins, classify, outbox
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        args.func(settings, args)
    except SettingsError as exc:
        print(f"rapport: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"rapport: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
