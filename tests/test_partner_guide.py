"""The partner guide (plugins/README.md) shows real files, its template works, and every hook is in it;
every bundled plugin is a package of its own with its entry point and tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from rapport import hookspecs

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
GUIDE = PLUGINS / "README.md"
SHOWN = re.compile(r"<!-- file: (?P<path>\S+) -->\n```\w*\n(?P<body>.*?)\n```", re.DOTALL)
BUNDLED = ("rapport-sales-fields", "rapport-triage", "rapport-webhooks", "template")


def test_every_file_the_guide_shows_is_the_real_file() -> None:
    shown = SHOWN.findall(GUIDE.read_text(encoding="utf-8"))
    assert len(shown) >= 4
    for path, body in shown:
        assert body == (PLUGINS / path).read_text(encoding="utf-8").rstrip("\n"), (
            f"plugins/README.md shows an outdated {path}: copy the file into the guide again"
        )


def test_every_hook_is_in_the_guide() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    hooks = [name for name, fn in vars(hookspecs).items() if hasattr(fn, "rapport_spec")]
    assert [hook for hook in hooks if f"`{hook}`" not in guide] == []


@pytest.mark.parametrize("name", BUNDLED)
def test_each_bundled_plugin_is_a_package_with_its_entry_point_and_tests(name: str) -> None:
    project = tomllib.loads((PLUGINS / name / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (entry_name, target), = project["entry-points"]["rapport.plugins"].items()
    assert entry_name == project["name"]
    assert (PLUGINS / name / target.replace(".", "/") / "__init__.py").exists()
    assert list((PLUGINS / name / "tests").glob("test_*.py"))


def test_the_template_s_tests_pass_with_rapport_s_fixtures() -> None:
    """The guide's example tests, run as a partner would (the template is not installed: its pyproject
    puts it on the path; the fixtures come from rapport-crm's pytest11 entry point)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=PLUGINS / "template", env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout
