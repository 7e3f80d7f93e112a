"""The ``rapport`` command line, run as a user runs it: a separate process reading RAPPORT_* settings."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import jwt
import pytest

from rapport.models import ApiKey
from tests.support.graphql import make_agent


@pytest.fixture
def run_cli(database_url, settings, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_SECRET_KEY": settings.signing_key}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rapport.cli", *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )

    return run


def test_help_lists_every_command_and_each_has_help(run_cli) -> None:
    listing = run_cli("--help")
    assert listing.returncode == 0
    for command in ("serve", "worker", "migrate", "makemigrations", "seed", "token", "apikey", "export-schema"):
        assert command in listing.stdout
        assert run_cli(command, "--help").returncode == 0, command
    assert run_cli("apikey", "create", "--help").returncode == 0


def test_every_command_group_registers_its_commands_in_order() -> None:
    from rapport.cli import build_parser

    (commands,) = [action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)]
    assert list(commands.choices) == [
        "serve", "worker", "migrate", "makemigrations", "seed", "token", "apikey", "report", "export-schema", "policy",
        "plugins", "classify", "outbox",
    ]


async def test_token_prints_a_bearer_token_for_the_agent(db, run_cli, settings) -> None:
    agent = await make_agent("rep@example.com")
    result = run_cli("token", "REP@example.com", "--ttl", "120")
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), settings.signing_key, algorithms=["HS256"], issuer="rapport")
    assert claims["sub"] == str(agent.id)


async def test_token_for_an_unknown_agent_fails_clearly(db, run_cli) -> None:
    result = run_cli("token", "nobody@example.com")
    assert result.returncode == 1
    assert result.stderr.strip() == "rapport: no agent with email 'nobody@example.com'"


async def test_apikey_create_prints_the_key_once_and_stores_its_hash(db, run_cli, http) -> None:
    await make_agent("rep@example.com")  # creates the sales department
    result = run_cli("apikey", "create", "--name", "erp", "--role", "agent@sales", "--role", "analyst@*", "--department", "sales")
    assert result.returncode == 0, result.stderr
    raw = result.stdout.strip()
    assert raw.startswith("rk_") and "shown once" in result.stderr
    stored = await ApiKey.get(name="erp")
    assert stored.roles == ["agent@sales", "analyst@*"] and raw not in stored.key_hash
    response = await http.post("/graphql", json={"query": "{ viewer { roles } }"}, headers={"Authorization": f"Bearer {raw}"})
    assert response.json()["data"]["viewer"]["roles"] == ["agent@sales", "analyst@*"]


async def test_apikey_create_refuses_bad_roles_and_duplicates(db, run_cli) -> None:
    bad = run_cli("apikey", "create", "--name", "erp", "--role", "agent")
    assert bad.returncode == 1 and "ROLE@DEPARTMENT" in bad.stderr
    assert run_cli("apikey", "create", "--name", "erp", "--role", "agent@sales").returncode == 0
    again = run_cli("apikey", "create", "--name", "erp", "--role", "agent@sales")
    assert again.returncode == 1 and "exists already" in again.stderr


def test_makemigrations_check_passes_when_models_and_migrations_agree(run_cli) -> None:
    result = run_cli("makemigrations", "--check")
    assert result.returncode == 0, result.stderr


def test_bad_setting_stops_with_one_line(run_cli) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rapport.cli", "migrate"],
        env={**os.environ, "RAPPORT_PORT": "not-a-port"}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("rapport: RAPPORT_PORT:") and result.stderr.count("\n") == 1


def test_a_plugin_that_cannot_load_stops_the_module_run_with_one_line(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": f"sqlite://{tmp_path / 'x.db'}", "RAPPORT_PLUGINS": "rp-test-missing"}
    result = subprocess.run([sys.executable, "-m", "rapport.cli", "plugins"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("rapport: 1 plugin(s) failed to load") and "Traceback" not in result.stderr
