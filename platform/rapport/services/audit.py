"""The audit trail: one entry per change, written in the change's own transaction.

Entries name the fields that changed, never their values: the audit must not become a second copy
of the personal data it protects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from rapport.auth.actor import Actor
from rapport.models import AuditEntry
from rapport.services import data_versions


async def record(
    conn: BaseDBAsyncClient,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | str,
    fields_changed: Iterable[str] = (),
    data: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    entry = await AuditEntry.create(
        using_db=conn,
        actor=actor.subject,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        fields_changed=sorted(set(fields_changed)),
        data=data or {},
        request_id=request_id,
    )
    # The one hook every audited write passes, in its transaction: cached results over the entity's
    # tables (reports) become unreachable when it commits. Last, so the counter row is locked briefly.
    await data_versions.touch_entity(conn, entity)
    return entry
