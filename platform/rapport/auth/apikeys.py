"""API keys for machine clients: ``rk_<prefix>_<secret>``, stored as a sha256 hash with their roles.

The key has 256 bits of randomness, so a fast hash is enough (as with GitHub's tokens): nobody can
guess a preimage, and a stolen table reveals no usable key. The prefix finds the row without a scan.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from rapport.auth.actor import RoleGrant
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
    key = await ApiKey.create(
        name=name, prefix=prefix, key_hash=_hash(raw), roles=[str(g) for g in grants], department=department
    )
    return key, raw


async def verify_api_key(raw: str) -> ApiKey | None:
    """The live key row for ``raw``, or None (unknown, malformed, revoked or wrong secret)."""
    body = raw.removeprefix(KEY_PREFIX)
    prefix, sep, _ = body.partition("_")
    if not sep or not prefix:
        return None
    key = await ApiKey.get_or_none(prefix=prefix).select_related("department")
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, _hash(raw)):
        return None
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        await ApiKey.filter(id=key.id).update(last_used_at=now)
    return key
