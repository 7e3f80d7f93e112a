"""API keys for machine clients: ``rk_<prefix>_<secret>``, stored as a sha256 hash with their roles.

The key has 256 bits of randomness, so a fast hash is enough (as with GitHub's tokens): nobody can
guess a preimage, and a stolen table reveals no usable key. The prefix finds the row without a scan.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from rapport.auth.actor import RoleGrant
from rapport.auth.identity_changes import changing_identity
from rapport.models import ApiKey, Department

KEY_PREFIX = "rk_"
LAST_USED_RESOLUTION = timedelta(minutes=5)  # do not write on every request


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


async def create_api_key(
    name: str, grants: list[RoleGrant], department: Department | None = None
) -> tuple[ApiKey, str]:
    """Create a key; return the row and the plaintext key, which is never stored nor shown again."""
    if not name.strip():
        raise ValueError("an API key needs a name")
    if not grants:
        raise ValueError("an API key needs at least one role (ROLE@DEPARTMENT)")
    if await ApiKey.exists(name=name):
        raise ValueError(f"an API key named {name!r} exists already")
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"

    async def write(conn: BaseDBAsyncClient) -> ApiKey:
        return await ApiKey.create(
            name=name, prefix=prefix, key_hash=_hash(raw), roles=[str(g) for g in grants], department=department,
            using_db=conn,
        )

    return await changing_identity(write), raw


async def revoke_api_key(name: str) -> bool:
    """Revoke the live key named ``name``: it authenticates no more. False when there is none."""

    async def write(conn: BaseDBAsyncClient) -> bool:
        revoked = await ApiKey.filter(name=name, revoked_at=None).using_db(conn).update(revoked_at=datetime.now(UTC))
        return bool(revoked)

    return await changing_identity(write)


def key_prefix(raw: str) -> str | None:
    """The prefix that finds ``raw``'s row; None when ``raw`` is malformed."""
    prefix, sep, _ = raw.removeprefix(KEY_PREFIX).partition("_")
    return prefix if sep and prefix else None


def secret_matches(stored_hash: str, raw: str) -> bool:
    return hmac.compare_digest(stored_hash, _hash(raw))


async def live_key(prefix: str) -> ApiKey | None:
    """The unrevoked key row with ``prefix`` (its department loaded), whatever secret is presented."""
    key = await ApiKey.get_or_none(prefix=prefix).select_related("department")
    return key if key is not None and key.revoked_at is None else None


async def note_use(key_id: int, last_used_at: datetime | None) -> datetime | None:
    """Record that the key was used, at most every ``LAST_USED_RESOLUTION``; the last use recorded."""
    now = datetime.now(UTC)
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        await ApiKey.filter(id=key_id).update(last_used_at=now)
        return now
    return last_used_at
