"""A real server for WebSocket tests (uvicorn in the test's event loop) and a graphql-transport-ws client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` (lifespan included) on a free port; yield its base URL (``http://127.0.0.1:port``)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


class GraphQLSocket:
    """One graphql-transport-ws connection."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.connection.recv(), timeout=timeout)
        # graphql-transport-ws messages are text frames: browsers' graphql-ws client rejects binary ones.
        assert isinstance(frame, str), f"a binary frame: {frame[:200]!r}"
        return json.loads(frame)

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(self, query: str, **variables: Any) -> str:
        self._ids += 1
        op = str(self._ids)
        await self.send({"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}})
        return op

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next ``next`` message's payload (pings answered, other messages returned as they are)."""
        while True:
            message = await self.receive(timeout)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def nothing(self, within: float = 0.5) -> None:
        """Assert that no message arrives within ``within`` seconds."""
        try:
            message = await self.receive(within)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {message}")

    async def closed_with(self, timeout: float = 5.0) -> int | None:
        """Wait for the server to close the connection; its close code."""
        try:
            while True:
                await asyncio.wait_for(self.connection.recv(), timeout=timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


@contextlib.asynccontextmanager
async def graphql_socket(base_url: str, headers: dict[str, str] | None = None) -> AsyncIterator[GraphQLSocket]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers or {}, open_timeout=5) as connection:  # type: ignore[list-item]
        yield GraphQLSocket(connection)


async def ready(subscriptions: int = 1, timeout: float = 5.0) -> None:
    """Wait until ``subscriptions`` subscribers listen on the in-process bus (a subscription is set up
    asynchronously after its ``subscribe`` message)."""
    from rapport.events import bus

    for _ in range(int(timeout / 0.02)):
        if sum(bus.current().subscriber_count(c) for c in ("ticket", "interaction")) >= subscriptions:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the subscriptions did not start")
