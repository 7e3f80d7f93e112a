"""Leases on named jobs, in the database, so that one process at a time runs a periodic job.

``await take(name, holder, hold_for)`` succeeds when the lease is free or expired (or already this
holder's) and holds it until now + ``hold_for``; ``await hold_until(name, holder, until)`` moves the
expiry (e.g. to when the job is next due); ``await release(name, holder)`` frees it. The same
conditional UPDATE works on SQLite and PostgreSQL, across processes.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from rapport.models import JobLease


def new_holder() -> str:
    """An identity for this process's lease holder."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def take(name: str, holder: str, hold_for: timedelta, *, now: datetime | None = None, reentrant: bool = False) -> bool:
    """Hold ``name`` until now + ``hold_for`` if nobody else holds it; True when this holder has it.

    With ``reentrant`` the holder may take its own unexpired lease again (a long-lived loop renewing);
    without, an unexpired lease is never taken, not even by its holder (a job waits until due)."""
    now = now or datetime.now(UTC)
    free = Q(expires_at__lte=now) | Q(holder=holder) if reentrant else Q(expires_at__lte=now)
    updated = await JobLease.filter(Q(name=name) & free).update(holder=holder, expires_at=now + hold_for)
    if updated:
        return True
    if await JobLease.exists(name=name):
        return False
    try:
        await JobLease.create(name=name, holder=holder, expires_at=now + hold_for)
    except IntegrityError:  # another process created it first
        return False
    return True


async def hold_until(name: str, holder: str, until: datetime) -> bool:
    return bool(await JobLease.filter(name=name, holder=holder).update(expires_at=until))


async def release(name: str, holder: str) -> None:
    await JobLease.filter(name=name, holder=holder).update(expires_at=datetime.now(UTC))
