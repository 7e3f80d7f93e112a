"""``rapport plugins``, ``rapport classify`` and ``rapport outbox``, run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from rapport.models import Customer, Department, Interaction, OutboxDelivery, OutboxEvent


@pytest.fixture
def run_cli(database_url, settings, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_SECRET_KEY": settings.signing_key, "RAPPORT_PLUGINS": ""}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "rapport.cli", *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)

    return run


def test_plugins_lists_the_built_ins_with_their_hooks_and_rules(run_cli) -> None:
    result = run_cli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = {plugin["name"]: plugin for plugin in json.loads(result.stdout)["plugins"]}
    assert listing["rapport.classification"]["source"] == "built-in"
    assert listing["rapport.classification"]["hooks"] == ["classification_rules", "classify_customer"]
    assert [rule["name"] for rule in listing["rapport.classification"]["rules"]] == ["default.segment", "default.tier"]
    assert "periodic_jobs" in listing["rapport.jobs"]["hooks"]
    text = run_cli("plugins").stdout
    assert "rapport.classification 0.1.0 (built-in)" in text and "rule: default.segment (customer)" in text


async def test_classify_reports_then_writes_what_changes(db, run_cli) -> None:
    sales = await Department.create(code="sales", name="Sales")
    long_ago = datetime.now(UTC) - timedelta(days=400)
    for name in ("A", "B", "C"):
        customer = await Customer.create(name=name, department=sales, segment="existing", tier="ordinary", last_interaction_at=long_ago)
        await Interaction.create(customer=customer, channel="visit", direction="inbound", subject="Bought", occurred_at=long_ago,
                                 custom={"purchase": True})
    await Customer.create(name="D", department=sales)
    dry = run_cli("classify", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "4 customers classified, 3 would change, 0 failed" in dry.stdout
    assert "segment: existing -> churned: 3" in dry.stdout and "dry run: nothing was written" in dry.stdout
    assert "classified 4/4" in dry.stderr  # progress
    assert await Customer.filter(segment="churned").count() == 0
    real = run_cli("classify")
    assert "4 customers classified, 3 changed, 0 failed" in real.stdout
    assert await Customer.filter(segment="churned").count() == 3
    assert await OutboxEvent.filter(topic="customer.updated").count() == 3
    assert "0 changed" in run_cli("classify").stdout


async def test_outbox_status_relay_parked_and_retry(db, run_cli) -> None:
    sales = await Department.create(code="sales", name="Sales")
    customer = await Customer.create(name="A", department=sales)
    event = await OutboxEvent.create(topic="customer.created", entity="customer", entity_id=str(customer.id),
                                     payload={}, available_at=datetime.now(UTC))
    parked = await OutboxDelivery.create(event=event, consumer="some-plugin", attempts=8, parked_at=datetime.now(UTC),
                                         last_error="ConnectionError: down")
    status = run_cli("outbox", "status")
    assert "pending events: 1" in status.stdout and "parked deliveries: 1" in status.stdout
    listed = run_cli("outbox", "parked")
    assert f"{parked.id}\tsome-plugin\tcustomer.created\tcustomer:{customer.id}" in listed.stdout and "ConnectionError: down" in listed.stdout
    relayed = run_cli("outbox", "relay")  # no consumer installed: the event is simply completed
    assert "events completed 1" in relayed.stdout, relayed.stdout + relayed.stderr
    retried = run_cli("outbox", "retry", str(parked.id))
    assert retried.returncode == 0 and f"delivery {parked.id} will be tried again" in retried.stdout
    assert (await OutboxDelivery.get(id=parked.id)).parked_at is None
    assert run_cli("outbox", "retry", "999999").returncode == 1
