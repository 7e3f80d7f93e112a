"""``rapport export-schema``: the GraphQL SDL, core only (as published) or with the installed plugins."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rapport.settings import Settings


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from rapport.cli.plugins import load_host
    from rapport.graphql.sdl import export_sdl

    sdl = export_sdl(load_host(settings) if args.with_plugins else None)
    if args.output:
        Path(args.output).write_text(sdl, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(sdl)


def register(commands: Any) -> None:
    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o", help="write to this file instead of standard output")
    export.add_argument("--with-plugins", action="store_true",
                        help="include the installed plugins' fields and types (default: the core schema, as published)")
    export.set_defaults(func=cmd_export_schema)
