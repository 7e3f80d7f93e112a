"""``rapport report``: a standard report in an agent's scope, as CSV or JSON on standard output."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rapport.cli.command import CommandError, run_with_database
from rapport.settings import Settings


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


def register(commands: Any) -> None:
    report = commands.add_parser("report", help="compute a standard report in an agent's scope (CSV or JSON)")
    report.add_argument("name", help="churnRate, satisfaction, slaCompliance, ticketVolume, firstResponseTime, "
                        "customerDistribution, interactionVolume or churnRatio")
    report.add_argument("--period", metavar="FROM..TO", help="half-open, UTC: 2024-01-01..2024-04-01 (or ISO datetimes)")
    report.add_argument("--group-by", metavar="DIMENSION", help="department, agent, segment, tier, category, priority, channel, month")
    report.add_argument("--format", choices=["csv", "json"], default="csv", help="output format (default csv)")
    report.add_argument("--as", dest="as_email", required=True, metavar="EMAIL",
                        help="the agent whose scope counts (needs export on report.<name>)")
    report.set_defaults(func=cmd_report)
