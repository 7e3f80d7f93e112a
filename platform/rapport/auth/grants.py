"""Role grants, stored as casbin ``g`` rows: (subject, ``role:<name>``, department code)."""

from __future__ import annotations

from rapport.auth.actor import RoleGrant
from rapport.models import PolicyRule

ROLE_PREFIX = "role:"


async def grants_of(subject: str) -> tuple[RoleGrant, ...]:
    """The roles granted directly to ``subject`` (e.g. ``user:a@b.c``), sorted for stable output."""
    rows = await PolicyRule.filter(ptype="g", v0=subject).order_by("v1", "v2").values_list("v1", "v2")
    return tuple(RoleGrant(role=role.removeprefix(ROLE_PREFIX), department=dept) for role, dept in rows)


async def grant(subject: str, role_grant: RoleGrant) -> bool:
    """Grant a role; return False when it was already granted."""
    _, created = await PolicyRule.get_or_create(
        ptype="g", v0=subject, v1=ROLE_PREFIX + role_grant.role, v2=role_grant.department,
        v3="", v4="", v5="",
    )
    return created
