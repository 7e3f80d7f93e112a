"""Authenticated identities kept in process, so a warm request authenticates without SQL.

An entry (an agent's Actor by agent id, or an API key's Actor with its hash by key prefix) is valid only
under the policy build it was read under: every write that changes who an actor is or what it holds
(role grants, an agent's ``active`` or department, an API key's creation or revocation) bumps the policy
version in its own transaction (:mod:`rapport.auth.identity_changes`), and every process rebuilds its
policy when the version moves (the redis notifier at once, the engine's poll within
``RAPPORT_POLICY_POLL_INTERVAL``). A rebuild is a new ``CompiledPolicy`` object, so comparing the
entry's build by identity drops every entry at once, without a sweep.

Only found identities are kept (an unknown or revoked credential is read again each time), the cache
holds at most ``max_entries`` (least recently used go first) and an entry older than ``max_age``
seconds is read again: the safety net for a write that went around those functions.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from tortoise.signals import post_delete, post_save

from rapport.auth.actor import Actor
from rapport.authz.enforcer import CompiledPolicy, get_engine
from rapport.models import Department

MAX_ENTRIES = 10_000
MAX_AGE_SECONDS = 30.0


@dataclass(slots=True)
class Entry:
    actor: Actor
    compiled: CompiledPolicy
    stored_at: float
    extra: Any = None  # what the credential needs checked on a hit (an API key's hash and last use)


class ActorCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_age: float = MAX_AGE_SECONDS) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def forget(self) -> None:
        self._entries.clear()

    async def get(
        self, key: Hashable, load: Callable[[], Awaitable[tuple[Actor, Any] | None]]
    ) -> Entry | None:
        """The entry for ``key`` under the current policy build, read with ``load`` when missing or stale."""
        # The build is taken before the read: a change committed while ``load`` runs leaves the entry
        # tied to the older build, which the next request no longer uses (read again, never stale).
        compiled = await get_engine().current()
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry.compiled is compiled and now - entry.stored_at < self.max_age:
            self._entries.move_to_end(key)
            return entry
        self._entries.pop(key, None)
        found = await load()
        if found is None:
            return None
        entry = Entry(found[0], compiled, now, found[1])
        self._entries[key] = entry
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return entry


actors = ActorCache()
"""The process-wide cache of authenticated identities."""


def forget_actors() -> None:
    """Drop every cached identity (tests that empty the tables: a truncated table can reuse an id)."""
    actors.forget()


# A department's code is part of its agents' Actors; renaming one is rare enough to drop them all.
@post_save(Department)
async def _department_saved(*args: object, **kwargs: object) -> None:
    forget_actors()


@post_delete(Department)
async def _department_deleted(*args: object, **kwargs: object) -> None:
    forget_actors()
