"""The ``reports`` root field: open to every authenticated caller; each report checks its own permission."""

from __future__ import annotations

import strawberry

from rapport.graphql.gate import PUBLIC, secured
from rapport.graphql.reports.types import Reports


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="The standard reports (churn, satisfaction, SLA compliance, volumes, first response, distribution). "
        "Each report field needs read on report.<name> and counts only rows you may read.",
        extensions=[secured(PUBLIC, "read")],
    )
    async def reports(self, info: strawberry.Info) -> Reports:
        return Reports()
