"""The ``rapport`` command line: serve, migrate, seed, tokens, API keys, reports, schema export, policy, plugins.

Each module of this package holds one group of commands and adds its subcommands in ``register``;
``python -m rapport.cli`` and the ``rapport`` console script both run :func:`main`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rapport import __version__
from rapport.cli import credentials, database, plugins, policy, report, schema, serving
from rapport.cli.command import CommandError
from rapport.cli.existing_database import DatabaseNotReady
from rapport.settings import SettingsError, load_settings

# The order of ``rapport --help``.
GROUPS = (serving, database, credentials, report, schema, policy, plugins)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport",
        description="Rapport: a headless CRM platform. Settings come from RAPPORT_* environment variables.",
    )
    parser.add_argument("--version", action="version", version=f"rapport {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        args.func(settings, args)
    except SettingsError as exc:
        print(f"rapport: {exc}", file=sys.stderr)
        return 2
    except DatabaseNotReady as exc:
        print(f"rapport: {exc}", file=sys.stderr)
        return exc.exit_status
    except CommandError as exc:
        print(f"rapport: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
