"""Report withheld and masked fields in ``extensions.redactions`` instead of per-row errors."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import SchemaExtension


class ReportRedactions(SchemaExtension):
    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        redactions = getattr(context, "redactions", None)
        if not redactions:
            return {}
        return {
            "redactions": [
                {"field": coordinate, "mode": mode, "count": count}
                for (coordinate, mode), count in sorted(redactions.items())
            ]
        }
