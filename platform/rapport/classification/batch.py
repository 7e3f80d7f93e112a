"""Re-classify every live customer (``rapport classify``, and the nightly job): segments move with time
(churn), rules change when plugins do.

Customers are read in pages by id; each page's signals come from four grouped queries, and each
changed customer is written in its own small transaction (guarded by its version, with segment
history, audit entry and ``customer.updated`` event), so a long run never holds locks for long and a
customer edited meanwhile is simply classified again next time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from rapport.classification.customers import Outcome, decide, write_outcome
from rapport.classification.facts import columns_of, customer_facts, signals
from rapport.models import Customer, Department
from rapport.plugin_host import PluginHost

PAGE = 500


@dataclass
class BatchSummary:
    customers: int = 0
    changed: int = 0
    failed: int = 0
    transitions: Counter[str] = field(default_factory=Counter)  # "segment: potential -> existing" -> count
    errors: list[str] = field(default_factory=list)

    def lines(self, dry_run: bool) -> list[str]:
        verb = "would change" if dry_run else "changed"
        out = [f"{self.customers} customers classified, {self.changed} {verb}, {self.failed} failed"]
        out += [f"  {text}: {count}" for text, count in sorted(self.transitions.items())]
        out += [f"  error: {text}" for text in self.errors[:20]]
        return out


def _transitions(row: Customer, outcome: Outcome) -> list[str]:
    found = []
    for name in ("segment", "tier"):
        before, after = getattr(row, name), getattr(outcome, name)
        if getattr(before, "value", before) != after.value:
            found.append(f"{name}: {getattr(before, 'value', before)} -> {after.value}")
    added = [t for t in outcome.tags if t not in (row.tags or [])]
    removed = [t for t in (row.tags or []) if t not in outcome.tags]
    found += [f"tag +{t}" for t in added] + [f"tag -{t}" for t in removed]
    return found


async def classify_all(
    host: PluginHost | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BatchSummary:
    """Classify every live customer; with ``dry_run`` only report what would change."""
    from rapport.plugin_host import PluginFailure

    if host is None:
        from rapport.plugins import active

        host = active()
    now = now or datetime.now(UTC)
    summary = BatchSummary()
    total = await Customer.filter(deleted_at__isnull=True).count()
    codes = dict(await Department.all().values_list("id", "code"))
    last_id = 0
    while True:
        rows = await Customer.filter(deleted_at__isnull=True, id__gt=last_id).order_by("id").limit(PAGE)
        if not rows:
            break
        last_id = rows[-1].id
        found = await signals([row.id for row in rows], now)
        for row in rows:
            summary.customers += 1
            stored = row.classification or {}
            manual = [t for t in (row.tags or []) if t not in set(stored.get("ruleTags") or [])]
            facts = customer_facts(columns_of(row), codes.get(row.department_id, ""), found.get(row.id), now, row.id)
            try:
                outcome = await decide(host, facts, pinned=stored.get("pinned") or {}, manual_tags=manual,
                                       previous_reasons=stored.get("reasons") or ())
            except PluginFailure as exc:
                summary.failed += 1
                summary.errors.append(f"customer {row.id}: {exc}")
                continue
            moves = _transitions(row, outcome)
            if not moves:
                continue
            if not dry_run:
                async with in_transaction() as conn:
                    if not await write_outcome(conn, row, outcome, actor=None, cause="reclassification", now=now):
                        continue
            summary.changed += 1
            summary.transitions.update(moves)
        if progress:
            progress(summary.customers, total)
    return summary
