"""The SLA sweep as a periodic job (every ``RAPPORT_SLA_SWEEP_INTERVAL`` seconds, 5 by default)."""

from __future__ import annotations

from rapport.jobs.schedule import every
from rapport.services.sla_sweep import sweep
from rapport.settings import load_settings

SWEEP_JOB = "rapport.sla_sweep"


@every(load_settings().sla_sweep_interval, SWEEP_JOB)
async def sla_sweep() -> dict[str, int]:
    """Warn, stamp breaches and escalate (see rapport.services.sla_sweep)."""
    report = await sweep()
    return {"warned": report.warned, "breached": report.breached, "escalated": report.escalated}
