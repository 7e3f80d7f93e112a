"""Acceptance: a plugin package made here, outside the repository, installed with pip, extends Rapport
with no change to the core: typed fields in the SDL, validation, classification with recorded reasons,
and events delivered to it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rapport.events.relay import relay_until_idle
from rapport.graphql.core.ids import parse_global_id
from rapport.plugins import activated, load_plugins
from tests.support.graphql import gql
from tests.support.personas import cast
from tests.support.plugins import client_for

PYPROJECT = """
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-loyalty"
version = "1.0.0"
dependencies = ["rapport-crm"]

[project.entry-points."rapport.plugins"]
acme-loyalty = "acme_loyalty"
"""

MODULE = '''
"""Acme's loyalty programme for Rapport."""
from rapport import hookimpl
from rapport.plugin_api import ClassificationRule, CustomField, Decision, ErrorCode, FieldType, Problem

received = []

@hookimpl
def custom_fields():
    return [CustomField("customer", "acme_points", FieldType.INT, "Acme loyalty points", default=0, indexed=True),
            CustomField("customer", "acme_level", FieldType.ENUM, "Acme level", choices=("bronze", "silver", "gold"))]

@hookimpl
def validate_record(entity, record):
    points = (record.get("custom") or {}).get("acme_points") or 0
    if entity == "customer" and points > 1_000_000:
        return [Problem(ErrorCode.INVALID, "acme_points above the programme's maximum", ("input", "custom", "acme_points"))]

@hookimpl
def classify_customer(customer):
    if customer.custom.get("acme_level") == "gold":
        return [Decision("tier", "high", "acme.gold", "an Acme gold member"), Decision("tag", "acme-gold", "acme.gold", "an Acme gold member")]

@hookimpl
def classification_rules():
    return [ClassificationRule("acme.gold", "customer", "gold members are HIGH tier and tagged acme-gold")]

@hookimpl
async def on_event(event):
    received.append((event.topic, event.entity, event.entity_id))
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install ./acme-loyalty`` into a directory of its own (the shared environment stays as it is)."""
    source = tmp_path_factory.mktemp("outside") / "acme-loyalty"
    (source / "acme_loyalty").mkdir(parents=True)
    (source / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT), encoding="utf-8")
    (source / "acme_loyalty" / "__init__.py").write_text(textwrap.dedent(MODULE), encoding="utf-8")
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(target), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    return target


@pytest.fixture
def acme(site: Path, settings, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    yield load_plugins(settings.model_copy(update={"plugins": "acme-loyalty"}))
    sys.modules.pop("acme_loyalty", None)


def _rapport(site: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(site), **(env or {})}
    environment.pop("RAPPORT_PLUGINS", None)
    return subprocess.run([sys.executable, "-m", "rapport.cli", *args], capture_output=True, text=True, env=environment, timeout=120)


def test_the_installed_package_adds_its_typed_fields_to_the_sdl(site: Path, tmp_path: Path) -> None:
    env = {"RAPPORT_DATABASE_URL": f"sqlite://{tmp_path / 'x.db'}"}
    extended = _rapport(site, "export-schema", "--with-plugins", env=env)
    assert extended.returncode == 0, extended.stderr
    assert "customFields: CustomerCustomFields" in extended.stdout
    assert "acmePoints: Int" in extended.stdout and "acmeLevel: CustomerCustomAcmeLevel" in extended.stdout
    assert "Acme loyalty points. (custom field of plugin acme-loyalty)" in extended.stdout
    core = _rapport(site, "export-schema", env=env)
    assert "CustomerCustomFields" not in core.stdout  # the published SDL stays the core's
    listing = _rapport(site, "plugins", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "acme-loyalty 1.0.0 (entry point of acme-loyalty)" in listing.stdout
    assert "field: customer.acme_points int [indexed]" in listing.stdout
    assert "rule: acme.gold (customer): gold members are HIGH tier and tagged acme-gold" in listing.stdout


async def test_the_installed_package_validates_classifies_and_receives_events(acme, db, settings) -> None:
    import acme_loyalty

    people = await cast(settings)
    query = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
        customer { id tier tags customFields { acmePoints acmeLevel } classification { reasons { rule plugin explanation } } }
        errors { code path message } } }"""
    async with client_for(settings, acme) as client:
        bad = (await gql(client, query, people["lead"].headers, input={"name": "X", "custom": {"acme_points": 2_000_000}})).json()
        assert bad["data"]["createCustomer"]["errors"] == [
            {"code": "INVALID", "path": ["input", "custom", "acme_points"], "message": "acme_points above the programme's maximum"}]
        wrong = (await gql(client, query, people["lead"].headers, input={"name": "X", "custom": {"acme_level": "platinum"}})).json()
        assert wrong["data"]["createCustomer"]["errors"][0]["path"] == ["input", "custom", "acme_level"]
        body = (await gql(client, query, people["lead"].headers, input={"name": "Gold", "custom": {"acme_level": "gold"}})).json()
    customer = body["data"]["createCustomer"]["customer"]
    assert customer["customFields"] == {"acmePoints": 0, "acmeLevel": "GOLD"}
    assert customer["tier"] == "HIGH" and customer["tags"] == ["acme-gold"]
    assert {"rule": "acme.gold", "plugin": "acme-loyalty", "explanation": "an Acme gold member"} in customer["classification"]["reasons"]
    with activated(acme):
        await relay_until_idle(acme)
    pk = parse_global_id(customer["id"], "Customer")
    assert [event for event in acme_loyalty.received if event[1] == "customer"] == [("customer.created", "customer", str(pk))]
