"""Per-request loaders for agents and departments (one query per batch, whatever the page size)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import strawberry
from strawberry.dataloader import DataLoader

from rapport import models


async def _agents(ids: Sequence[int]) -> list[models.Agent | None]:
    rows = {row.id: row for row in await models.Agent.filter(id__in=set(ids))}
    return [rows.get(i) for i in ids]


async def _departments(ids: Sequence[int]) -> list[models.Department | None]:
    rows = {row.id: row for row in await models.Department.filter(id__in=set(ids))}
    return [rows.get(i) for i in ids]


def agent_by_id(info: strawberry.Info) -> DataLoader[int, models.Agent | None]:
    return info.context.loader("AgentByIdLoader", lambda: DataLoader(load_fn=_agents))


def department_by_id(info: strawberry.Info) -> DataLoader[int, models.Department | None]:
    return info.context.loader("DepartmentByIdLoader", lambda: DataLoader(load_fn=_departments))


def known_department_codes(info: strawberry.Info) -> dict[int, str] | None:
    """The department codes if this request has read them already (None: await ``department_codes``)."""
    return info.context.loaders.get("department_codes")


async def _read_department_codes() -> dict[int, str]:
    from rapport.authz.sql import department_codes_by_id

    return await department_codes_by_id()


async def department_codes(info: strawberry.Info) -> dict[int, str]:
    """Every department's code by id (departments are few), fixed for the request: from the process's
    cache of :mod:`rapport.authz.sql`, refreshed when a department is saved or the policy version moves;
    resolvers asking at the same time share one read when it is cold."""
    loaders = info.context.loaders
    if "department_codes" not in loaders:
        reading = loaders.get("department_codes_reading")
        if reading is None:
            reading = loaders["department_codes_reading"] = asyncio.ensure_future(_read_department_codes())
        codes = await reading
        loaders.setdefault("department_codes", codes)
    return loaders["department_codes"]
