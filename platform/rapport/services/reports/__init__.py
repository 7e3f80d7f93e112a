"""Standard reports: governed definitions computed in SQL, scoped to the viewer, cached, exportable.

``definitions`` holds the metrics (one function and one stated definition each), ``dimensions`` the
groupings, ``scopes`` which rows a viewer's report counts, ``cache`` the result cache, ``runner`` the
entry point shared by the GraphQL API and ``rapport report``.
"""

from rapport.services.reports.definitions import METRICS, Metric, Row
from rapport.services.reports.dimensions import Dimension
from rapport.services.reports.period import Period, ReportArgumentError
from rapport.services.reports.runner import ReportForbidden, ReportResult, metric_named, run_report

__all__ = [
    "METRICS", "Dimension", "Metric", "Period", "ReportArgumentError", "ReportForbidden", "ReportResult", "Row",
    "metric_named", "run_report",
]
