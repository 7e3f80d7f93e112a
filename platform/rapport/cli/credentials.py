"""Credentials: ``rapport token`` (an agent's bearer token) and ``rapport apikey create``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rapport.cli.command import CommandError, run_with_database
from rapport.settings import Settings


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


def register(commands: Any) -> None:
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
