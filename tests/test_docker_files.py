"""Static checks of docker/Dockerfile and docker/compose.yaml.

Docker is not needed: the files are parsed, and checked against each other, against the repository
layout and against ``rapport.settings.Settings``, so a renamed folder, setting or service fails here
instead of at ``docker build`` / ``docker compose up`` time.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from rapport.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DOCKER_DIR = REPO / "docker"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
DOCKERIGNORE = DOCKER_DIR / "Dockerfile.dockerignore"
COMPOSE = DOCKER_DIR / "compose.yaml"

SERVICES = {"app", "worker", "postgres", "redis"}
SHARED_ENV = {"RAPPORT_ENV", "RAPPORT_DATABASE_URL", "RAPPORT_REDIS_URL", "RAPPORT_SECRET_KEY"}
GLOB_CHARS = re.compile(r"[*?\[]")


# --- Dockerfile parsing -------------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments (and parser directives) may also sit inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        result.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends inside a continued instruction"
    return result


def _stages(text: str) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, args in _instructions(text):
        if keyword == "FROM":
            stages.append([])
        assert stages, f"{keyword} before the first FROM"
        stages[-1].append((keyword, args))
    return stages


def _exec_form(args: str) -> list[str]:
    """Arguments of a RUN/CMD/ENTRYPOINT-style instruction, exec (JSON) or shell form."""
    if args.startswith("["):
        return json.loads(args)
    return shlex.split(args)


def _copy_parts(args: str) -> tuple[dict[str, str], list[str], str]:
    """COPY/ADD arguments as (flags, sources, destination)."""
    flags: dict[str, str] = {}
    words = shlex.split(args)
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    if words and words[0].startswith("["):  # exec form: COPY [--flags] ["src", ..., "dest"]
        words = json.loads(" ".join(args.split(None, len(flags))[len(flags):]))
    assert len(words) >= 2, f"COPY/ADD needs a source and a destination: {args!r}"
    return flags, words[:-1], words[-1]


@pytest.fixture(scope="module")
def stages() -> list[list[tuple[str, str]]]:
    return _stages(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final_stage(stages: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    assert len(stages) >= 2, "the Dockerfile should be multi-stage (builder + runtime)"
    return stages[-1]


def _context_copies(stages: list[list[tuple[str, str]]]):
    """(stage index, source, destination, workdir, number of sources) for every COPY/ADD from the
    build context (not --from another stage or image, not a URL)."""
    for index, stage in enumerate(stages):
        workdir = PurePosixPath("/")
        for keyword, args in stage:
            if keyword == "WORKDIR":
                workdir = workdir / args.strip()
            if keyword not in {"COPY", "ADD"}:
                continue
            flags, sources, destination = _copy_parts(args)
            if "from" in flags:
                continue
            for source in sources:
                if re.match(r"^[a-z]+://", source) or source.startswith("git@"):
                    continue
                yield index, source, destination, workdir, len(sources)


# --- compose parsing ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    data = yaml.safe_load(compose_text)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # the short form only waits for "started"
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _named_volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> named volume, for the named-volume mounts of a service."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            source, _, rest = volume.partition(":")
            target = rest.split(":", 1)[0]
            if rest and not source.startswith((".", "/", "~", "$")):
                mounts[target] = source
        elif volume.get("type", "volume") == "volume" and volume.get("source"):
            mounts[volume["target"]] = volume["source"]
    return mounts


def _container_ports(service: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["target"]))
        else:
            ports.add(int(str(port).split(":")[-1].split("/")[0]))
    return ports


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _service_by_image(services: dict[str, dict[str, Any]], image: str) -> str:
    names = [name for name, spec in services.items() if str(spec.get("image", "")).split(":")[0] == image]
    assert len(names) == 1, f"expected exactly one {image} service, found {names}"
    return names[0]


# --- compose --------------------------------------------------------------------------------------------


def test_compose_has_exactly_the_expected_services(services: dict[str, Any]) -> None:
    assert set(services) == SERVICES


def test_app_and_worker_share_one_build_of_the_repository(services: dict[str, Any]) -> None:
    app, worker = services["app"], services["worker"]
    assert app.get("build"), "app must be built from the repository"
    assert app["build"] == worker.get("build")
    assert app.get("image") == worker.get("image")
    context = (COMPOSE.parent / app["build"]["context"]).resolve()
    assert context == REPO, "the build context must be the repository root"
    assert (context / app["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert _command(app)[:1] == ["serve"]
    assert _command(worker)[:1] == ["worker"]


def test_app_and_worker_share_the_rapport_environment(services: dict[str, Any]) -> None:
    app_env, worker_env = _environment(services["app"]), _environment(services["worker"])
    assert SHARED_ENV <= app_env.keys()
    assert SHARED_ENV <= worker_env.keys()
    assert {key: app_env[key] for key in SHARED_ENV} == {key: worker_env[key] for key in SHARED_ENV}
    assert app_env["RAPPORT_ENV"] == "production"
    # The key must come from the operator, never be baked into the file.
    assert re.fullmatch(r"\$\{RAPPORT_SECRET_KEY:\?[^}]*\}", app_env["RAPPORT_SECRET_KEY"])


def test_every_rapport_variable_in_compose_is_a_setting(compose_text: str) -> None:
    names = set(re.findall(r"\bRAPPORT_[A-Z0-9_]+\b", compose_text))
    assert names, "compose should configure rapport through RAPPORT_* variables"
    unknown = sorted(n for n in names if n.removeprefix("RAPPORT_").lower() not in Settings.model_fields)
    assert not unknown, f"not fields of rapport.settings.Settings: {unknown}"


def test_compose_environment_is_valid_for_settings(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("RAPPORT_"):
            monkeypatch.delenv(name)
    env = _environment(services["app"])
    values = {
        key.removeprefix("RAPPORT_").lower(): value
        for key, value in env.items()
        if key.startswith("RAPPORT_") and key != "RAPPORT_SECRET_KEY"
    }
    settings = Settings(**values, secret_key="x" * 40)
    assert settings.is_production
    assert not settings.is_sqlite


def test_database_url_points_at_the_postgres_service(services: dict[str, Any]) -> None:
    postgres = _service_by_image(services, "postgres")
    pg_env = _environment(services[postgres])
    url = urlsplit(_environment(services["app"])["RAPPORT_DATABASE_URL"])
    assert url.scheme in {"postgres", "postgresql"}
    assert url.hostname == postgres
    assert url.port in (None, 5432)
    assert url.username == pg_env["POSTGRES_USER"]
    assert url.password == pg_env["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == pg_env.get("POSTGRES_DB", pg_env["POSTGRES_USER"])


def test_redis_url_points_at_the_redis_service(services: dict[str, Any]) -> None:
    redis = _service_by_image(services, "redis")
    url = urlsplit(_environment(services["app"])["RAPPORT_REDIS_URL"])
    assert url.scheme == "redis"
    assert url.hostname == redis
    assert url.port in (None, 6379)


@pytest.mark.parametrize("name", ["app", "worker"])
def test_rapport_services_wait_for_healthy_backends(services: dict[str, Any], name: str) -> None:
    depends = _depends_on(services[name])
    for backend in ("postgres", "redis"):
        assert depends.get(backend) == "service_healthy", f"{name} must wait for {backend} to be healthy"
        assert services[backend].get("healthcheck", {}).get("test"), f"{backend} needs a healthcheck"


def test_backend_healthchecks(services: dict[str, Any]) -> None:
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]


def test_app_healthcheck_hits_healthz_and_worker_does_not_inherit_it(services: dict[str, Any]) -> None:
    assert "/healthz" in " ".join(services["app"]["healthcheck"]["test"])
    worker_check = services["worker"].get("healthcheck")
    # Without an override the worker would inherit the image's HTTP HEALTHCHECK and never be healthy.
    assert worker_check, "worker must override the image's HTTP healthcheck"
    assert worker_check.get("disable") is True or "/healthz" not in " ".join(worker_check.get("test", []))


@pytest.mark.parametrize(("name", "data_dir"), [("postgres", "/var/lib/postgresql/data"), ("redis", "/data")])
def test_backend_data_is_on_declared_named_volumes(
    compose: dict[str, Any], services: dict[str, Any], name: str, data_dir: str
) -> None:
    mounts = _named_volume_mounts(services[name])
    assert data_dir in mounts, f"{name} data ({data_dir}) must be on a named volume"
    assert mounts[data_dir] in (compose.get("volumes") or {}), f"volume {mounts[data_dir]!r} not declared"


# --- Dockerfile -----------------------------------------------------------------------------------------


def test_final_stage_runs_as_a_non_root_user(final_stage: list[tuple[str, str]]) -> None:
    users = [args for keyword, args in final_stage if keyword == "USER"]
    assert users, "the runtime stage must set USER"
    user = users[-1].split(":")[0].strip()
    assert user not in {"", "root", "0"}


def test_final_stage_has_a_healthz_healthcheck(final_stage: list[tuple[str, str]]) -> None:
    checks = [args for keyword, args in final_stage if keyword == "HEALTHCHECK"]
    assert checks, "the runtime stage must have a HEALTHCHECK"
    assert not checks[-1].upper().startswith("NONE")
    assert "/healthz" in checks[-1]
    assert "urllib" in checks[-1], "slim images have no curl/wget; use python's urllib"


def test_exposed_port_matches_compose(final_stage: list[tuple[str, str]], services: dict[str, Any]) -> None:
    exposed = {
        int(port.split("/")[0]) for keyword, args in final_stage if keyword == "EXPOSE" for port in args.split()
    }
    published = _container_ports(services["app"])
    assert published, "app must publish a port"
    assert published <= exposed
    env = " ".join(args for keyword, args in final_stage if keyword == "ENV")
    assert re.search(rf"\bRAPPORT_PORT=({'|'.join(map(str, published))})\b", env)
    assert re.search(r"\bRAPPORT_HOST=0\.0\.0\.0\b", env), "the server must listen beyond loopback"


def test_entrypoint_runs_rapport(final_stage: list[tuple[str, str]]) -> None:
    entrypoints = [args for keyword, args in final_stage if keyword == "ENTRYPOINT"]
    assert entrypoints, "the runtime stage must have an ENTRYPOINT"
    assert PurePosixPath(_exec_form(entrypoints[-1])[0]).name == "rapport"


def test_every_copied_context_path_exists(stages: list[list[tuple[str, str]]]) -> None:
    copies = list(_context_copies(stages))
    assert copies, "the Dockerfile copies nothing from the build context"
    for _, source, _, _, count in copies:
        if GLOB_CHARS.search(source):
            # An optional-file glob may match nothing, but only beside a real source: a COPY whose
            # sources all match nothing fails.
            if not list(REPO.glob(source)):
                assert count > 1, f"COPY {source}: matches nothing and is the only source"
        else:
            assert (REPO / source).exists(), f"COPY {source}: no such path in the repository"


def test_copies_preserve_the_repository_layout(stages: list[list[tuple[str, str]]]) -> None:
    """Directories are copied to <root>/<same path>, so the relative symlinks under platform/ resolve."""
    roots: dict[int, set[PurePosixPath]] = {}
    copied: dict[int, set[str]] = {}
    for stage, source, destination, workdir, count in _context_copies(stages):
        target = workdir / destination
        path = REPO / source
        if GLOB_CHARS.search(source):
            continue
        source_parts = PurePosixPath(source).parts
        if path.is_dir():
            # COPY puts a directory's *contents* at the destination: the destination must name it.
            assert target.parts[-len(source_parts):] == source_parts, (
                f"COPY {source} {destination}: the directory would lose its name"
            )
            root = PurePosixPath(*target.parts[: -len(source_parts)])
        else:
            if count > 1 or destination.endswith("/"):
                root = target
            else:
                assert target.name == path.name
                root = target.parent
        roots.setdefault(stage, set()).add(root)
        copied.setdefault(stage, set()).add(source_parts[0])
    for stage, stage_roots in roots.items():
        assert len(stage_roots) == 1, f"stage {stage} copies into several roots: {stage_roots}"
        for link in (REPO / "platform").rglob("*"):
            if link.is_symlink() and "platform" in copied[stage]:
                target = (link.parent / link.readlink()).resolve()
                top = target.relative_to(REPO).parts[0]
                assert top in copied[stage], f"{link.relative_to(REPO)} -> {top}/, which is not copied"


def test_dockerfile_does_not_copy_tests(stages: list[list[tuple[str, str]]]) -> None:
    for _, source, _, _, _ in _context_copies(stages):
        parts = PurePosixPath(source).parts
        assert parts and parts[0] != "tests", f"COPY {source}: tests do not belong in the image"
        assert source.rstrip("/") not in {".", "*", "./*"}, f"COPY {source}: copies the whole context"


def test_dockerignore_sits_next_to_the_dockerfile() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".venv", ".git", "tests", "dist", "build"):
        assert required in patterns or f"**/{required}" in patterns, f"{required} is not excluded"
    for required in ("__pycache__", "*.db", ".rapport-secret"):
        assert f"**/{required}" in patterns or required in patterns, f"{required} is not excluded"
    assert not (REPO / ".dockerignore").exists()
