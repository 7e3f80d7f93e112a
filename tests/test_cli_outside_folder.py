"""Commands that need a database, run where there is none: one line naming what was looked for, exit 2,
nothing created."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.support.database import _with_database, create_scratch_database, drop_scratch_database

# One command of each group that opens the database.
COMMANDS = [
    ("token", "admin@example.com"),
    ("apikey", "create", "--name", "ci", "--role", "admin@*"),
    ("report", "churnRate", "--as", "admin@example.com"),
    ("policy", "export"),
    ("classify", "--dry-run"),
    ("outbox", "status"),
]


def run_cli(cwd: Path, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    if database_url is not None:
        env["RAPPORT_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "rapport.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command[:2]))
def test_a_command_in_a_folder_without_a_database_names_it_and_creates_nothing(tmp_path: Path, command) -> None:
    result = run_cli(tmp_path, *command)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
    line = result.stderr.strip()
    assert str(tmp_path.resolve() / "rapport.db") in line
    assert "RAPPORT_DATABASE_URL=" in line and "rapport migrate" in line
    assert list(tmp_path.iterdir()) == []  # neither an empty rapport.db nor a .rapport-secret


def test_a_missing_sqlite_file_named_by_the_setting_is_not_created(tmp_path: Path) -> None:
    wanted = tmp_path / "elsewhere" / "crm.db"
    wanted.parent.mkdir()
    result = run_cli(tmp_path, "token", "admin@example.com", database_url=f"sqlite://{wanted}")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"rapport: no database at {wanted}: set RAPPORT_DATABASE_URL=... or run from the folder that holds "
        "rapport.db; `rapport migrate` or `rapport serve --demo` creates one"
    )
    assert not wanted.exists()


def test_an_unmigrated_sqlite_file_says_run_migrate(tmp_path: Path) -> None:
    (tmp_path / "rapport.db").touch()
    result = run_cli(tmp_path, "token", "admin@example.com")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "run `rapport migrate`" in result.stderr
    with sqlite3.connect(tmp_path / "rapport.db") as check:  # no tables made behind the user's back
        assert check.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_the_migrated_database_still_serves_the_command(tmp_path: Path, database_url: str) -> None:
    # The check lets a real, migrated database through (on the leg's own engine).
    result = run_cli(tmp_path, "outbox", "status", database_url=database_url)
    assert result.returncode == 0, result.stderr


postgres_only = pytest.mark.skipif(not TEST_DATABASE_URL, reason="a PostgreSQL server (the real leg)")


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user, _, host = parts.netloc.rpartition("@")
    return parts._replace(netloc=f"{user.split(':')[0]}:{password}@{host}").geturl()


@postgres_only
def test_a_postgres_database_that_does_not_exist_is_named_without_its_password(tmp_path: Path) -> None:
    name = f"rapport_absent_{uuid.uuid4().hex[:10]}"
    url = _with_password(_with_database(TEST_DATABASE_URL, name), "hunter2-secret")
    result = run_cli(tmp_path, "token", "admin@example.com", database_url=url)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    line = result.stderr.strip()
    assert line.startswith("rapport: no database postgres://postgres@") and f"/{name}:" in line
    assert "RAPPORT_DATABASE_URL=" in line
    assert "hunter2" not in line
    assert list(tmp_path.iterdir()) == []


@postgres_only
def test_an_empty_postgres_database_says_run_migrate(tmp_path: Path) -> None:
    url = create_scratch_database(TEST_DATABASE_URL, f"rapport_empty_{uuid.uuid4().hex[:10]}")
    try:
        result = run_cli(tmp_path, "policy", "export", database_url=url)
    finally:
        drop_scratch_database(TEST_DATABASE_URL, url)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "run `rapport migrate`" in result.stderr


def test_a_database_of_an_older_version_says_run_migrate(tmp_path: Path) -> None:
    import asyncio

    from rapport.migrator import migrate

    url = f"sqlite://{tmp_path / 'old.db'}"
    asyncio.run(migrate(url, target="rapport.0003_counters_and_policy_changes"))
    result = run_cli(tmp_path, "outbox", "status", database_url=url)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    shipped = sorted(path.stem for path in (Path(__file__).parents[1] / "migrations").glob("0*.py"))
    missing = len([name for name in shipped if name > "0003_counters_and_policy_changes"])
    assert f"lacks {missing} migration(s) of this version: run `rapport migrate`" in result.stderr
