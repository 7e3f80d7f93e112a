"""``rapport report``: a standard report for one agent's scope, as CSV or JSON.

The same definitions, scopes and rounding as the API. Exporting is its own permission: the agent named
by ``--as`` needs ``export`` on ``report.<name>`` (the default policy grants it to analysts and admins,
not to managers, who read reports in the API).
"""

from __future__ import annotations

import csv
import io

import orjson

from rapport.auth.authenticate import actor_for_agent
from rapport.authz.plan import plan_for
from rapport.models import Agent
from rapport.services.reports.dimensions import Dimension
from rapport.services.reports.period import Period, ReportArgumentError
from rapport.services.reports.runner import ReportResult, run_report

EXPORT = "export"
FORMATS = ("csv", "json")
CSV_COLUMNS = ("key", "label", "value", "numerator", "denominator")


async def export_report(email: str, name: str, period: str | None, group_by: str | None) -> ReportResult:
    """The report computed now in the scope of the active agent ``email`` (no cache: an export is
    authoritative). Raises ReportArgumentError, ReportForbidden, or LookupError for an unknown agent."""
    try:
        dimension = Dimension.parse(group_by) if group_by else None
    except ValueError as exc:
        raise ReportArgumentError(f"--group-by: {exc}") from None
    window = Period.parse(period) if period else None
    agent = await Agent.get_or_none(email=email.strip().lower(), active=True)
    actor = await actor_for_agent(agent.id) if agent is not None else None
    if actor is None:
        raise LookupError(f"no active agent with email {email!r}")
    return await run_report(await plan_for(actor), name, window, dimension, action=EXPORT)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def to_csv(result: ReportResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in result.rows:
        writer.writerow([row.key, row.label, _number(row.value), _number(row.numerator), _number(row.denominator)])
    return out.getvalue()


def to_json(result: ReportResult) -> str:
    return orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
