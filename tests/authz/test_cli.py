"""``rapport policy ...`` run as a user runs it: a separate process reading RAPPORT_* settings."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from rapport.authz import store
from rapport.authz.model import default_cases_text
from rapport.models import Department, PolicyChange
from rapport.services.demo_data import seed_demo

README = Path(__file__).resolve().parents[2] / "policies" / "README.md"
CASES = len([line for line in default_cases_text().splitlines() if line.strip() and not line.startswith("#")]) - 1


@pytest.fixture
def run_cli(database_url, settings, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATABASE_URL": database_url, "RAPPORT_SECRET_KEY": settings.signing_key}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rapport.cli", *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )

    return run


def test_help_lists_the_policy_commands(run_cli) -> None:
    listing = run_cli("policy", "--help")
    assert listing.returncode == 0
    for command in ("check", "test", "explain", "export", "import", "seed", "add", "remove", "grant", "revoke"):
        assert command in listing.stdout
        assert run_cli("policy", command, "--help").returncode == 0, command


async def test_policy_test_passes_against_the_database(db, run_cli) -> None:
    assert await store.seed_default_policy()
    result = run_cli("policy", "test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["policy: the database (policy version 1)", f"{CASES} cases passed"]


async def test_policy_test_uses_the_shipped_policy_when_the_database_has_no_rules(db, run_cli) -> None:
    result = run_cli("policy", "test")
    assert result.returncode == 0, result.stderr
    assert "shipped default policies/policy.csv" in result.stdout and f"{CASES} cases passed" in result.stdout


async def test_policy_test_fails_with_a_table(db, run_cli, tmp_path) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("subject,department,resource,action,scope,expected\n"
                     "role:agent,sales,customer,read,dept,allow\n"
                     "role:agent,sales,customer,delete,dept,allow\n"
                     "role:analyst,*,customer.email,read,all,allow\n")
    result = run_cli("policy", "test", str(cases))
    assert result.returncode == 1
    assert result.stderr.strip() == "rapport: 2 of 3 cases failed"
    lines = result.stdout.splitlines()
    assert lines[1].split()[:3] == ["line", "subject", "department"]
    assert lines[2].split()[:8] == ["3", "role:agent", "sales", "customer", "delete", "dept", "allow", "deny"]
    assert lines[3].endswith("p, role:analyst, *, customer.pii, read, all, deny")


def test_policy_test_and_check_on_a_file_need_no_database(run_cli, tmp_path) -> None:
    policy = tmp_path / "policy.csv"
    policy.write_text("p, role:agent, *, customer, read, dept, allow\np, role:agent, *, customer, fly, dept, allow\n")
    result = run_cli("policy", "test", "--file", str(policy))
    assert result.returncode == 1 and "cases failed" in result.stderr
    check = run_cli("policy", "check", "--file", str(policy))
    assert check.returncode == 1
    assert check.stdout.strip() == "p, role:agent, *, customer, fly, dept, allow: unknown action 'fly': use one of " \
                                   "read, read_masked, create, update, delete, export, manage or *"


async def test_policy_check_on_the_seeded_database(db, run_cli) -> None:
    await store.seed_default_policy()
    result = run_cli("policy", "check")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "the database (policy version 1): 38 rules, 3 field groups, 0 role grants, no findings"


async def test_export_import_edit_from_the_command_line(db, run_cli, tmp_path) -> None:
    await Department.create(code="support", name="Support")  # the default rules name it: imports check codes
    assert run_cli("policy", "seed").stdout.strip() == "default policy loaded from policies/policy.csv"
    assert "rules already" in run_cli("policy", "seed").stdout
    exported = run_cli("policy", "export")
    assert exported.returncode == 0 and exported.stdout == await store.export_rules()
    file = tmp_path / "export.csv"
    file.write_text(exported.stdout)
    imported = run_cli("policy", "import", str(file))
    assert imported.returncode == 0 and imported.stdout.strip() == f"imported {file}: policy version 2"
    assert run_cli("policy", "export").stdout == exported.stdout

    file.write_text(exported.stdout + "p, role:agent, legal, customer, read, dept, allow\n")
    refused = run_cli("policy", "import", str(file))
    assert refused.returncode == 1 and "unknown department 'legal'" in refused.stderr
    assert run_cli("policy", "export").stdout == exported.stdout

    added = run_cli("policy", "add", "p, role:agent, *, customer, export, dept, allow")
    assert added.returncode == 0 and added.stdout.strip() == "policy version 3", added.stderr
    assert run_cli("policy", "remove", "p, role:agent, *, customer, export, dept, allow").returncode == 0
    bad = run_cli("policy", "add", "p, role:agent, *, customer, exprt, dept, allow")
    assert bad.returncode == 1 and "unknown action 'exprt'" in bad.stderr
    changes = await PolicyChange.all().order_by("version").values_list("change", "actor")
    assert [change for change, _ in changes] == ["seed", "import", "add_rule", "remove_rule"]
    assert all(actor.startswith("cli:") for _, actor in changes[1:])


def _readme_explain_examples() -> list[tuple[str, str]]:
    """(command line, expected output) of every ```console block that runs `rapport policy explain`."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S):
        command, _, output = block.partition("\n")
        if command.startswith("$ rapport policy explain "):
            examples.append((command.removeprefix("$ rapport "), output))
    return examples


def test_the_readme_has_explain_examples() -> None:
    assert len(_readme_explain_examples()) >= 4


async def test_the_readme_explain_examples_print_what_the_readme_says(db, run_cli) -> None:
    await seed_demo()  # the demo grants the examples use
    await store.seed_default_policy()
    for command, expected in _readme_explain_examples():
        result = run_cli(*shlex.split(command))
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout == expected, f"{command}\n--- README\n{expected}--- printed\n{result.stdout}"
