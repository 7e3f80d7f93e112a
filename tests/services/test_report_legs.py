"""Both legs give identical reports: every report, with every dimension it takes, on the demo data as
an analyst and as the sales manager, equals the snapshot in data/reports_demo.json to the last digit.
The snapshot was written on one leg; the other leg must reproduce it.

After a deliberate change of the demo data or a definition, rewrite it with
``RAPPORT_WRITE_REPORT_SNAPSHOT=1 pytest tests/services/test_report_legs.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from rapport.authz.store import seed_default_policy
from rapport.models import Agent
from rapport.services.demo_data import seed_demo
from rapport.services.reports import METRICS, Period, run_report
from tests.support.report_data import plan_of

SNAPSHOT = Path(__file__).parent / "data" / "reports_demo.json"
NOW = datetime(2025, 1, 1, tzinfo=UTC)
PERIOD = Period.of(datetime(2024, 7, 1, tzinfo=UTC), NOW)  # the demo's last two quarters
VIEWERS = ("analyst@demo.example.com", "sales.lead@demo.example.com")


async def test_every_report_equals_the_snapshot(db) -> None:
    await seed_demo(now=NOW)
    await seed_default_policy()
    got: dict[str, list[list]] = {}
    for email in VIEWERS:
        plan = await plan_of(await Agent.get(email=email))
        for metric in METRICS.values():
            dimensions = metric.dimensions if not metric.needs_period else (None, *metric.dimensions)
            for dimension in dimensions:
                result = await run_report(plan, metric.name, PERIOD if metric.needs_period else None, dimension)
                name = f"{email.split('@')[0]} {metric.name} {dimension.name if dimension else '-'}"
                got[name] = [[r.key, r.value, r.numerator, r.denominator] for r in result.rows]
    if os.environ.get("RAPPORT_WRITE_REPORT_SNAPSHOT") == "1":
        SNAPSHOT.write_text("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in got.items()) + "\n}\n",
                            encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sum(len(rows) for rows in got.values()) > 300
    assert list(got) == list(expected)
    for name, rows in got.items():
        assert rows == expected[name], name
