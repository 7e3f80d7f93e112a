"""A client that goes away mid-request is not a server error: the request ends quietly."""

from __future__ import annotations

import logging

import pytest
from structlog.testing import capture_logs

from rapport.app import create_app
from tests.support.graphql import bearer, make_agent


def _scope(headers: dict[str, str], body_length: int) -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/graphql", "raw_path": b"/graphql", "query_string": b"", "root_path": "",
        "headers": [(b"host", b"rapport.test"), (b"content-type", b"application/json"),
                    (b"content-length", str(body_length).encode()),
                    *[(k.lower().encode(), v.encode()) for k, v in headers.items()]],
        "client": ("10.9.8.7", 5555), "server": ("rapport.test", 80),
    }


@pytest.mark.parametrize("parts", [[b'{"query": "{ viewer { ro'], []], ids=["mid-body", "before-body"])
async def test_a_disconnect_while_the_body_is_read_ends_quietly(db, settings, caplog, parts) -> None:
    agent = await make_agent("gone@example.com", roles=("agent@sales",))
    app = create_app(settings, manage_database=False)
    body = b'{"query": "{ viewer { roles } }"}'
    messages = [{"type": "http.request", "body": part, "more_body": True} for part in parts]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        await app(_scope(bearer(agent, settings), len(body)), receive, send)  # nothing escapes
    assert not [entry for entry in logs if entry["log_level"] in ("error", "critical", "exception", "warning")]
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert not [m for m in sent if m["type"] == "http.response.start" and m["status"] >= 500]
    await app.state.rate_limiter.close()
