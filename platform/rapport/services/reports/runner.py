"""Run a standard report for a viewer: check the arguments and the permission, then answer from the
cache or compute it (the GraphQL API and ``rapport report`` both come here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

from rapport.authz.plan import PermissionPlan
from rapport.services import data_versions
from rapport.services.reports import scopes
from rapport.services.reports.cache import TTL_SECONDS, ReportCache, cache_key
from rapport.services.reports.definitions import METRICS, Ask, Metric, Row
from rapport.services.reports.dimensions import Dimension
from rapport.services.reports.period import Period, ReportArgumentError, iso_z
from rapport.services.reports.statement import Statement

SCOPE_NOTE = " Only rows you may read are counted."


class ReportForbidden(Exception):
    """The viewer may not run this report (no ``action`` on ``report.<name>``)."""

    def __init__(self, name: str, action: str) -> None:
        super().__init__(f"forbidden: {action} on {scopes.report_resource(name)}")
        self.resource = scopes.report_resource(name)
        self.action = action


@dataclass(frozen=True)
class ReportResult:
    name: str
    definition: str
    period: str
    rows: tuple[Row, ...]
    generated_at: datetime  # when it was computed (earlier than now when it comes from the cache)
    cached: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "definition": self.definition, "period": self.period,
                "generatedAt": iso_z(self.generated_at), "cached": self.cached, "rows": [asdict(r) for r in self.rows]}

    @classmethod
    def from_json(cls, data: dict[str, Any], cached: bool) -> ReportResult:
        return cls(data["name"], data["definition"], data["period"], tuple(Row(**r) for r in data["rows"]),
                   datetime.fromisoformat(data["generatedAt"].replace("Z", "+00:00")), cached)


def metric_named(name: str) -> Metric:
    """The report called ``name`` (as in the API: ``churnRate``; ``churn-rate`` and ``churn_rate`` too)."""
    wanted = name.replace("-", "").replace("_", "").casefold()
    for metric in METRICS.values():
        if metric.name.casefold() == wanted:
            return metric
    raise ReportArgumentError(f"no report {name!r} (one of {', '.join(METRICS)})")


def check_arguments(metric: Metric, period: Period | None, dimension: Dimension | None) -> None:
    if dimension is not None and dimension not in metric.dimensions:
        allowed = ", ".join(d.name for d in metric.dimensions)
        raise ReportArgumentError(f"groupBy: {metric.name} cannot be grouped by {dimension.name} (use one of {allowed})")
    if metric.needs_period and period is None:
        raise ReportArgumentError(f"period: {metric.name} needs a period")
    if metric.needs_dimension and dimension is None:
        raise ReportArgumentError(f"groupBy: {metric.name} needs a dimension")


async def run_report(
    plan: PermissionPlan,
    name: str,
    period: Period | None,
    dimension: Dimension | None,
    *,
    action: str = "read",
    cache: ReportCache | None = None,
    namespace: str = "",
    ttl: float = TTL_SECONDS,
) -> ReportResult:
    """The report ``name`` over ``period`` grouped by ``dimension``, counting only the rows ``plan``'s
    viewer may read. Raises ReportArgumentError (bad arguments) or ReportForbidden."""
    metric = metric_named(name)
    check_arguments(metric, period, dimension)
    if not plan.allows(scopes.report_resource(metric.name), action):
        raise ReportForbidden(metric.name, action)
    conn = connections.get("default")
    key = None
    if cache is not None:
        # Versions first: a write committing while we compute leaves our entry under the old versions.
        versions = await data_versions.read(conn, metric.tables)
        key = cache_key(namespace, {
            "report": metric.name, "period": str(period) if metric.needs_period else None,
            "groupBy": dimension.name if dimension else None, "scope": scopes.signature(plan, metric.name),
            "versions": versions,
        })
        hit = await cache.get(key)
        if hit is not None:
            return ReportResult.from_json(hit, cached=True)
    result = await compute(plan, metric, period, dimension)
    if cache is not None and key is not None:
        await cache.put(key, result.to_json(), ttl)
    return result


async def compute(plan: PermissionPlan, metric: Metric, period: Period | None, dimension: Dimension | None) -> ReportResult:
    """Compute the report now (no cache)."""
    generated_at = datetime.now(UTC).replace(microsecond=0)
    shown_period = str(period) if metric.needs_period and period else f"as of {iso_z(generated_at)}"
    scope = await scopes.countable(plan, metric.name, metric.source)
    rows: list[Row] = []
    if scope is not None:
        rows = await metric.compute(Statement(), Ask(period, dimension, scope))
    return ReportResult(metric.name, metric.definition + SCOPE_NOTE, shown_period, tuple(rows), generated_at, cached=False)
