"""``rapport policy``: check, test and explain the access rules; export, import, seed and edit the stored ones."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rapport.cli.command import CommandError, T, run_with_database
from rapport.settings import Settings


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


def register(commands: Any) -> None:
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
