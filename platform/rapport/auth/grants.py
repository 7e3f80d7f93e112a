"""Role grants, stored as casbin ``g`` rows: (subject, ``role:<name>``, department code)."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from rapport.auth.actor import RoleGrant
from rapport.auth.identity_changes import changing_identity
from rapport.models import PolicyRule

ROLE_PREFIX = "role:"


async def grants_of(subject: str) -> tuple[RoleGrant, ...]:
    """The roles granted directly to ``subject`` (e.g. ``user:a@b.c``), sorted for stable output."""
    rows = await PolicyRule.filter(ptype="g", v0=subject).order_by("v1", "v2").values_list("v1", "v2")
    return tuple(RoleGrant(role=role.removeprefix(ROLE_PREFIX), department=dept) for role, dept in rows)


async def grant(subject: str, role_grant: RoleGrant) -> bool:
    """Grant a role without the checks of :func:`rapport.authz.store.grant_role` (seeding, tests); the
    policy version is bumped with it, so cached identities and policies are rebuilt. False when it was
    already granted."""

    async def write(conn: BaseDBAsyncClient) -> bool:
        _, created = await PolicyRule.get_or_create(
            ptype="g", v0=subject, v1=ROLE_PREFIX + role_grant.role, v2=role_grant.department,
            v3="", v4="", v5="", using_db=conn,
        )
        return created

    return await changing_identity(write)
