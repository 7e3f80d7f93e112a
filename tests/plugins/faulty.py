"""Test plugins that fail, or answer in awkward ways (async, None)."""

from __future__ import annotations

from rapport import hookimpl
from rapport.plugin_api import Event


class RaisingValidator:
    @hookimpl
    def validate_record(self, entity: str) -> None:
        raise RuntimeError("validator exploded")


class RaisingClassifier:
    @hookimpl
    async def classify_customer(self) -> None:
        raise ZeroDivisionError("classifier exploded")


class RaisingTicketClassifier:
    @hookimpl
    def classify_ticket(self) -> None:
        raise KeyError("ticket classifier exploded")


class BadDecision:
    @hookimpl
    def classify_customer(self) -> list:
        return ["not a decision"]


class FlakyConsumer:
    """Fails while ``down`` (or for the first ``failures`` deliveries of each event), then records."""

    def __init__(self, failures: int = 0, down: bool = False) -> None:
        self.failures = failures
        self.down = down
        self.attempts: dict[int, int] = {}
        self.received: list[Event] = []

    @hookimpl
    def on_event(self, event: Event) -> None:
        self.attempts[event.id] = self.attempts.get(event.id, 0) + 1
        if self.down or self.attempts[event.id] <= self.failures:
            raise ConnectionError(f"receiver down (attempt {event.attempt})")
        self.received.append(event)


class Recorder:
    def __init__(self) -> None:
        self.received: list[Event] = []

    @hookimpl
    async def on_event(self, event: Event) -> None:
        self.received.append(event)


class AsyncNoneSla:
    @hookimpl(tryfirst=True)
    async def sla_policy(self) -> None:
        return None


class SyncVipSla:
    @hookimpl
    def sla_policy(self, ticket) -> dict | None:
        if ticket.tier == "high":
            return {"name": "vip", "first_response": "1h", "resolution": "8h"}
        return None


class Misspelt:
    @hookimpl
    def on_evnt(self, event: Event) -> None:  # a typo: there is no hook on_evnt
        pass


class AsyncCustomFields:
    @hookimpl
    async def custom_fields(self) -> list:
        return []
