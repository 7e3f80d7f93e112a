"""Per-row field modes as SQL: how the viewer sees a personal field of each row, as a CASE expression.

The plan decides a field's mode from the row's department and whether the viewer owns the row
(``plan.field_mode``). Departments are few, so the decision is written out for each one: ``'f'`` (full),
``'m'`` (masked) or ``'h'`` (hidden). Every branch is two-valued (``IS NOT NULL`` before each equality),
so no NULL column turns a hidden row into a visible one.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapport.authz.plan import PermissionPlan
from rapport.compiler.dialect import literal, quote

CODES = {"full": "f", "masked": "m", "hidden": "h"}


@dataclass(frozen=True)
class FieldModes:
    """The mode of one personal field over the rows of a table: ``constant`` when the same everywhere."""

    sql: str
    constant: str | None  # "f", "m" or "h" when every row gets it

    def hidden(self) -> str:
        return "1=0" if self.constant in ("f", "m") else "1=1" if self.constant == "h" else f"{self.sql} = 'h'"


def field_modes(
    plan: PermissionPlan, resource: str, codes: dict[int, str], table: str, department_column: str, owner_column: str
) -> FieldModes:
    """The CASE giving ``resource``'s mode on each row of ``table`` for ``plan``'s viewer."""
    agent = plan.actor.agent_id

    def modes(is_own: bool) -> tuple[dict[int, str], str]:
        by_department = {pk: CODES[plan.field_mode(resource, code, is_own)] for pk, code in codes.items()}
        return by_department, CODES[plan.field_mode(resource, "", is_own)]

    other, other_unknown = modes(False)
    everything = set(other.values()) | {other_unknown}
    if agent is not None:
        own, own_unknown = modes(True)
        everything |= set(own.values()) | {own_unknown}
    if len(everything) == 1:
        only = everything.pop()
        return FieldModes(literal(only), only)
    department = f"{quote(table)}.{quote(department_column)}"

    def by_department(chosen: dict[int, str], unknown: str) -> str:
        whens = " ".join(f"WHEN {pk:d} THEN {literal(mode)}" for pk, mode in sorted(chosen.items()) if mode != unknown)
        return f"CASE {department} {whens} ELSE {literal(unknown)} END" if whens else literal(unknown)

    not_owned = by_department(other, other_unknown)
    if agent is None:
        return FieldModes(f"({not_owned})", None)
    owner = f"{quote(table)}.{quote(owner_column)}"
    owned = by_department(own, own_unknown)
    if owned == not_owned:
        return FieldModes(f"({not_owned})", None)
    return FieldModes(f"(CASE WHEN {owner} IS NOT NULL AND {owner} = {int(agent):d} THEN {owned} ELSE {not_owned} END)", None)
