"""The Actor: the authenticated caller of a request, with its department and role grants."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A role held in a department (``*`` = every department)."""

    role: str
    department: str

    def __str__(self) -> str:
        return f"{self.role}@{self.department}"

    @classmethod
    def parse(cls, text: str) -> RoleGrant:
        """Parse ``role@department``; raise ValueError with a readable message otherwise."""
        role, sep, department = text.strip().partition("@")
        if not sep or not role or not department or "@" in department:
            raise ValueError(f"{text!r} is not of the form ROLE@DEPARTMENT (e.g. agent@sales, analyst@*)")
        return cls(role=role, department=department)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: an agent (``user:<email>``) or an API key (``key:<name>``)."""

    kind: str  # "user" | "key"
    name: str  # email for users, key name for keys
    agent_id: int | None = None
    department: str | None = None  # department code of the agent (or key), if any
    grants: tuple[RoleGrant, ...] = field(default_factory=tuple)

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def roles(self) -> list[str]:
        return [str(grant) for grant in self.grants]
