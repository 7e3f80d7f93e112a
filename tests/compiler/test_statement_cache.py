"""Compiled statements are kept: the same document for another customer id or another page binds new
values into the kept statement, and still answers exactly as the resolvers do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rapport.compiler import statement_cache
from tests.compiler.demo_world import DemoWorld, demo_world
from tests.compiler.same_answer import assert_same
from tests.compiler.two_paths import two_paths

DETAIL = """query Detail($id: ID!) { customer(id: $id) { id name email phone owner { name }
  tickets(first: 3) { nodes { number sla { remainingSeconds } } } } }"""
PAGE = """query Page($after: String) {
  customers(first: 3, after: $after, orderBy: [{field: NAME, direction: ASC}]) { nodes { name email } pageInfo { endCursor } } }"""
BACK = """query Back($before: String) {
  tickets(last: 2, before: $before, where: {status: [NEW, OPEN]}) { nodes { number } pageInfo { startCursor hasPreviousPage } } }"""


@pytest.fixture
async def world(db, settings) -> AsyncIterator[DemoWorld]:
    async with two_paths(settings) as paths:
        yield await demo_world(settings, paths)


def _entries_of(document: str) -> int:
    return sum(1 for key in statement_cache._entries if key[0] == document)


async def _same(world: DemoWorld, persona: str, query: str, variables: dict) -> dict:
    compiled, resolvers = await world.paths.ask(query, world.headers[persona], variables)
    read_path = assert_same(compiled, resolvers)
    if not resolvers.get("errors"):
        assert read_path == {key: "compiled" for key in resolvers["data"]}, read_path
    return resolvers


@pytest.mark.parametrize("persona", ["admin", "support"])
async def test_one_statement_serves_every_id_and_page(world: DemoWorld, persona: str) -> None:
    statement_cache.forget_statements()
    for customer in world.samples.customers[:5]:
        body = await _same(world, persona, DETAIL, {"id": customer})
        assert body["data"]["customer"] is not None
    assert _entries_of(DETAIL) == 1  # compiled once, bound five times
    # Ids that name nothing of that type: null, as from the resolvers, and the kept statement stays right.
    for other in (world.samples.tickets[0], "not-an-id", world.samples.customers[0]):
        await _same(world, persona, DETAIL, {"id": other})
    cursor = None
    for _ in range(3):
        body = await _same(world, persona, PAGE, {"after": cursor})
        cursor = body["data"]["customers"]["pageInfo"]["endCursor"]
    assert _entries_of(PAGE) == 2  # the first page (no cursor) and the others
    start = None
    for _ in range(3):
        body = await _same(world, persona, BACK, {"before": start})
        start = body["data"]["tickets"]["pageInfo"]["startCursor"] or start
    await _same(world, persona, PAGE, {"after": "garbage"})  # the resolvers' error, not a kept statement's
    await _same(world, persona, BACK, {"before": cursor})  # a cursor of another ordering: refused alike
