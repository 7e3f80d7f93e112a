"""The identity of a WebSocket connection is proved again, never remembered.

An HTTP request authenticates its token each time (the actor and its grants come from
:mod:`rapport.auth.actor_cache`); a connection lives for hours, so it does the same for every operation,
for subscription events once the policy version has moved (a granted or revoked role, an agent
deactivated, a key revoked: :mod:`rapport.auth.identity_changes` bumps it) and at least every
``RECHECK_SECONDS`` (for a write that went around those functions). A JWT's expiry is known in advance: the connection closes then (see
:mod:`rapport.graphql.socket_handler`).
"""

from __future__ import annotations

import time

from rapport.auth.actor import Actor
from rapport.auth.apikeys import looks_like_api_key
from rapport.auth.authenticate import actor_for_token
from rapport.auth.tokens import expires_at
from rapport.authz.enforcer import get_engine
from rapport.graphql.context import RapportContext

RECHECK_SECONDS = 10.0
"""Longest time a connection or a running subscription goes without proving its credential again, for a
change that did not bump the policy version (written around :mod:`rapport.auth.identity_changes`)."""


async def reauthenticate(context: RapportContext) -> Actor | None:
    """The connection's actor as its credential proves it now, with the grants stored now (None: expired,
    revoked, deactivated). The context keeps it, with when and under which policy version it was proved."""
    # The version is read first: a change committed while the actor is read leaves an older version
    # recorded, so the next check derives the actor again instead of trusting a stale one.
    version = (await get_engine().current()).version
    if context.credential is not None:
        context.actor = await actor_for_token(context.credential, context.settings.signing_key)
    # else: an actor a plugin's ``actor_from_request`` recognised from the upgrade request's headers; they
    # are all there is to prove it with, and they cannot change during the connection.
    context.checked_at, context.policy_version = time.monotonic(), version
    return context.actor


async def proved_recently(context: RapportContext) -> bool:
    """Whether the context's actor was proved under the current policy version and recently enough;
    otherwise it is proved again. False when it no longer is."""
    if context.actor is None:
        return False
    version = (await get_engine().current()).version
    if version == context.policy_version and time.monotonic() - context.checked_at < RECHECK_SECONDS:
        return True
    return await reauthenticate(context) is not None


def expiry(context: RapportContext) -> float | None:
    """When the connection's credential expires (Unix seconds); None when it has no expiry (API keys)."""
    token = context.credential
    if token is None or looks_like_api_key(token):
        return None
    return expires_at(token, context.settings.signing_key)
