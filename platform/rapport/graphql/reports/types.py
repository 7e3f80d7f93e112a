"""GraphQL types of the standard reports: ``Reports`` (one field per report), ``Report``, ``ReportRow``.

The ``reports`` root field is open to every authenticated caller (it carries no data); each report
field checks its own permission (``report.<name>``, action ``read``) and raises a FORBIDDEN error when
it is missing. The contract makes every report non-null, so that error nulls ``reports`` (and the
whole ``data``): a client asks only for the reports its viewer may read (``viewer.can``).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from rapport.graphql.core.errors import ClientError
from rapport.graphql.gate import Forbidden
from rapport.services.reports import METRICS, Dimension, Period, ReportArgumentError, ReportForbidden, ReportResult, run_report
from rapport.services.reports.cache import cache_for
from rapport.services.reports.scopes import report_resource

ReportDimension = strawberry.enum(
    Dimension, name="ReportDimension",
    description="What a report's rows are grouped by. Each report takes the dimensions that make sense for it "
    "(its description lists them); another is a BAD_USER_INPUT error.",
)


@strawberry.input(description="A half-open period: from <= t < to (consecutive periods never count a row twice). "
                  "Times without an offset are UTC.")
class DateRange:
    from_: datetime = strawberry.field(name="from")
    to: datetime


@strawberry.type(description="One group of a report. value is computed from numerator and denominator as the "
                 "report's definition says.")
class ReportRow:
    key: str = strawberry.field(description='Stable machine key: department code, agent id, enum name (e.g. "HIGH"), '
                                'month ("2024-01"), "none" for rows without a value, "all" without groupBy.')
    label: str = strawberry.field(description="Human name of the group (department name, agent name, ...).")
    value: float
    numerator: float | None
    denominator: float | None


@strawberry.type(description="A computed report with its definition (the formula in words).")
class Report:
    name: str
    definition: str
    period: str = strawberry.field(description='The period, half-open: "[2024-01-01T00:00:00Z, 2024-04-01T00:00:00Z)"; '
                                   'snapshots say "as of <time>".')
    rows: list[ReportRow]
    generated_at: datetime = strawberry.field(description="When the numbers were computed (UTC).")
    cached: bool = strawberry.field(description="True when served from the report cache (computed at generatedAt, "
                                    "with no change to the data it reads since).")

    @classmethod
    def from_result(cls, result: ReportResult) -> Report:
        rows = [ReportRow(key=r.key, label=r.label, value=r.value, numerator=r.numerator, denominator=r.denominator)
                for r in result.rows]
        return cls(name=result.name, definition=result.definition, period=result.period, rows=rows,
                   generated_at=result.generated_at, cached=result.cached)


async def _report(info: strawberry.Info, name: str, period: DateRange | None, group_by: Dimension | None) -> Report:
    plan = await info.context.plan()
    if not plan.allows(report_resource(name), "read"):
        raise Forbidden(report_resource(name), "read")
    settings = info.context.settings
    cache, namespace = cache_for(settings.redis_url, settings.database_url)
    ttl = settings.report_cache_seconds
    try:
        window = Period.of(period.from_, period.to) if period is not None else None
        result = await run_report(plan, name, window, group_by, cache=cache if ttl > 0 else None, namespace=namespace, ttl=ttl)
    except ReportArgumentError as exc:
        raise ClientError(str(exc)) from None
    except ReportForbidden as exc:
        raise Forbidden(exc.resource, exc.action) from None
    return Report.from_result(result)


def _describe(name: str) -> str:
    metric = METRICS[name]
    dimensions = ", ".join(d.name for d in metric.dimensions)
    return f"{metric.definition} groupBy: {dimensions}. Needs read on {report_resource(name)}."


@strawberry.type(description="The standard reports. Each counts only the rows you may read; each needs its own "
                 "permission (report.<name>, read).")
class Reports:
    @strawberry.field(description=_describe("churnRate"))
    async def churn_rate(self, info: strawberry.Info, period: DateRange, group_by: ReportDimension | None = None) -> Report:
        return await _report(info, "churnRate", period, group_by)

    @strawberry.field(description=_describe("satisfaction"))
    async def satisfaction(self, info: strawberry.Info, period: DateRange, group_by: ReportDimension | None = None) -> Report:
        return await _report(info, "satisfaction", period, group_by)

    @strawberry.field(description=_describe("slaCompliance"))
    async def sla_compliance(self, info: strawberry.Info, period: DateRange, group_by: ReportDimension | None = None) -> Report:
        return await _report(info, "slaCompliance", period, group_by)

    @strawberry.field(description=_describe("ticketVolume"))
    async def ticket_volume(self, info: strawberry.Info, period: DateRange, group_by: ReportDimension | None = None) -> Report:
        return await _report(info, "ticketVolume", period, group_by)

    @strawberry.field(description=_describe("firstResponseTime"))
    async def first_response_time(self, info: strawberry.Info, period: DateRange, group_by: ReportDimension | None = None) -> Report:
        return await _report(info, "firstResponseTime", period, group_by)

    @strawberry.field(description=_describe("customerDistribution"))
    async def customer_distribution(self, info: strawberry.Info, group_by: ReportDimension) -> Report:
        return await _report(info, "customerDistribution", None, group_by)

    @strawberry.field(description=_describe("churnRatio"))
    async def churn_ratio(self, info: strawberry.Info, group_by: ReportDimension | None = None) -> Report:
        return await _report(info, "churnRatio", None, group_by)

    @strawberry.field(description=_describe("interactionVolume"))
    async def interaction_volume(self, info: strawberry.Info, period: DateRange, group_by: ReportDimension | None = None) -> Report:
        return await _report(info, "interactionVolume", period, group_by)
