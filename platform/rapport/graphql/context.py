"""The per-request context every resolver receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from rapport.auth.actor import Actor
from rapport.settings import Settings


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class RapportContext:
    request: Request | WebSocket
    response: Response | None
    settings: Settings
    actor: Actor | None
    request_id: str = field(default_factory=new_request_id)
