"""The wheel is complete and works without the repository.

(1) The wheel built from the repository holds every module of ``platform/rapport`` (so a package the
packaging config misses fails here), the migrations and default policies *inside* ``rapport`` (the
``rapport/migrations`` and ``rapport/policies`` links are followed), ``py.typed`` and the ``rapport``
console script, and nothing else at the top level: no ``migrations/``, ``policies/``, ``tests/``,
``platform/`` and no ``__pycache__``. The expected files come from the repository folders, so a new
migration, policy file or subpackage is checked without editing this test.
(2) Installed non-editable into a fresh virtualenv and run from an empty directory with no
``PYTHONPATH`` or ``RAPPORT_*`` leaking in, the installed package (not the checkout) migrates, seeds
the demo data, serves ``/healthz`` and answers an authenticated GraphQL query.

The wheel is built with ``--no-isolation`` (offline, a few seconds) from a clean copy of the checkout:
setuptools reuses ``build/lib`` in the source tree, so a stale copy of a deleted module could
otherwise hide a packaging mistake, and the test writes nothing into the repository.
"""

from __future__ import annotations

import configparser
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_ROOT = REPO / "platform"
PACKAGE_ROOT = SOURCE_ROOT / "rapport"
FORBIDDEN_TOP_LEVEL = {"migrations", "policies", "tests", "platform"}
DEMO_DEPARTMENTS = {"sales", "support", "marketing", "finance", "vip"}
DEMO_AGENT = "sales.rep@demo.example.com"
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis",
    "rapport.db*", ".rapport-secret",
)


def _run(command: list[str | Path], *, timeout: float = 120, **kwargs) -> str:
    """Run a command; fail the test with its output unless it exits 0. Returns standard output."""
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


# --- the wheel ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built once from a clean copy of the checkout."""
    source = tmp_path_factory.mktemp("source") / "rapport"
    shutil.copytree(REPO, source, symlinks=True, ignore=NOT_COPIED)
    outdir = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", outdir, source], timeout=300)
    print(f"\nwheel built in {time.monotonic() - started:.1f} s")
    (built,) = outdir.glob("rapport_crm-*.whl")
    return built


def _repo_files(folder: str, *patterns: str) -> set[str]:
    return {path.name for pattern in patterns for path in (REPO / folder).glob(pattern)}


def _source_modules() -> set[str]:
    """Wheel names of every .py file under platform/rapport, following the migrations/policies links."""
    found: set[str] = set()
    for directory, subdirs, files in os.walk(PACKAGE_ROOT, followlinks=True):
        subdirs[:] = [name for name in subdirs if name != "__pycache__"]
        relative = Path(directory).relative_to(SOURCE_ROOT).as_posix()
        found.update(f"{relative}/{name}" for name in files if name.endswith(".py"))
    return found


def _console_scripts(archive: zipfile.ZipFile) -> dict[str, str]:
    (entry_points,) = [name for name in archive.namelist() if name.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.optionxform = str  # keep names as written
    parser.read_string(archive.read(entry_points).decode())
    return dict(parser["console_scripts"])


@pytest.mark.slow
@pytest.mark.packaging
def test_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        scripts = _console_scripts(archive)

    required = {"rapport/__init__.py", "rapport/cli/__init__.py", "rapport/cli/__main__.py",
                "rapport/migrations/__init__.py", "rapport/py.typed"}
    required |= {f"rapport/migrations/{name}" for name in _repo_files("migrations", "*.py")}
    required |= {f"rapport/policies/{name}" for name in _repo_files("policies", "*.conf", "*.csv")}
    required |= _source_modules()  # every package and module, so a package the config misses fails
    assert "rapport/migrations/0001_initial.py" in required  # the repository listing itself worked
    assert not required - names, f"missing from the wheel: {sorted(required - names)}"

    parts = [PurePosixPath(name).parts for name in names]
    misplaced = sorted(name for name, part in zip(names, parts) if part[0] in FORBIDDEN_TOP_LEVEL)
    assert not misplaced, f"top-level folders that belong inside rapport/: {misplaced}"
    caches = sorted(name for name, part in zip(names, parts) if "__pycache__" in part or name.endswith(".pyc"))
    assert not caches, f"bytecode caches in the wheel: {caches}"

    assert scripts.get("rapport") == "rapport.cli:main"


# --- the installed wheel ------------------------------------------------------------------------------


def _clean_env(**extra: str) -> dict[str, str]:
    """os.environ without anything that could point Python or Rapport at the checkout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("RAPPORT_") and key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    return env | extra


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed non-editable (dependencies from pip's cache or PyPI)."""
    location = tmp_path_factory.mktemp("venv") / "env"
    started = time.monotonic()
    _run([sys.executable, "-m", "venv", location], env=_clean_env())
    _run([location / "bin" / "pip", "install", "--quiet", wheel], timeout=900, env=_clean_env())
    print(f"\nvirtualenv created and wheel installed in {time.monotonic() - started:.1f} s")
    return location


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(server: subprocess.Popen, base_url: str, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"rapport serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"/healthz did not answer 200 within {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture
def server(venv: Path, tmp_path: Path) -> Iterator[tuple[str, dict]]:
    """``rapport serve`` from an empty directory, after migrate and seed; yields (base URL, run kwargs)."""
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    assert not workdir.is_relative_to(REPO)
    run = {"cwd": workdir, "env": _clean_env(RAPPORT_DATABASE_URL=f"sqlite://{workdir / 'rapport.db'}")}
    rapport = venv / "bin" / "rapport"
    _run([rapport, "migrate"], **run)
    _run([rapport, "seed", "--demo"], **run)
    assert (workdir / "rapport.db").is_file()

    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(rapport), "serve", "--port", str(port)], stdout=output, stderr=subprocess.STDOUT, **run
        )
    try:
        _wait_until_healthy(process, f"http://127.0.0.1:{port}", log)
        yield f"http://127.0.0.1:{port}", run
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _graphql(base_url: str, token: str, query: str) -> dict:
    response = httpx.post(
        f"{base_url}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


@pytest.mark.slow
@pytest.mark.packaging
def test_installed_wheel_migrates_seeds_and_serves_from_any_directory(venv: Path, server: tuple[str, dict]) -> None:
    base_url, run = server
    site_packages = _run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], **run)
    imported = _run([venv / "bin" / "python", "-c", "import rapport; print(rapport.__file__)"], **run)
    assert Path(imported.strip()).resolve().is_relative_to(Path(site_packages.strip()).resolve()), imported

    token = _run([venv / "bin" / "rapport", "token", DEMO_AGENT], **run).strip()
    assert token

    name = _graphql(base_url, token, "{ viewer { agent { name } } }")["viewer"]["agent"]["name"]
    assert isinstance(name, str) and name.strip()
    departments = _graphql(base_url, token, "{ departments { code } }")["departments"]
    assert DEMO_DEPARTMENTS <= {department["code"] for department in departments}
