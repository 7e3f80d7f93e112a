"""Typed settings read from the environment (``RAPPORT_*``), with embedded defaults.

Development needs no configuration at all: SQLite in ``./rapport.db``, in-process fan-out, and a
secret key generated once and kept in ``./.rapport-secret``. Production must say where its database
is and give a secret key.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "RAPPORT_"
MIN_SECRET_LENGTH = 32


class SettingsError(Exception):
    """A setting is missing or invalid; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite://./rapport.db"
    # Database limits (connections per process; timeouts in seconds): no request waits unboundedly for a
    # connection, a lock or a statement. Past a limit the request gets SERVICE_UNAVAILABLE with Retry-After. SQLite has one connection, so
    # pool_size does not apply to it and lock_timeout becomes its busy_timeout; statement_timeout is
    # PostgreSQL's (migrations run without it).
    database_pool_size: int = Field(default=10, ge=1, le=1000)
    database_pool_timeout: float = Field(default=5.0, gt=0, le=600)
    database_lock_timeout: float = Field(default=3.0, gt=0, le=600)
    database_statement_timeout: float = Field(default=30.0, gt=0, le=3600)
    redis_url: str | None = None
    secret_key: str | None = Field(default=None, repr=False)
    secret_key_file: Path = Path(".rapport-secret")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    default_phone_region: str = "US"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    graphiql: bool | None = None  # None: on in development, off in production
    max_body_bytes: int = Field(default=1_000_000, ge=1_000)
    # Seconds between checks of the stored policy version (the safety net under the redis notifier):
    # a policy change reaches every process within this time even when a redis message is lost.
    policy_poll_interval: float = Field(default=0.5, gt=0, le=3600)
    # Prefix of every redis key and channel of this deployment (live bus, job queue, rate limits): two
    # deployments - or two test sessions - sharing one redis must use different ones.
    redis_namespace: str = Field(default="rapport", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    # Service levels, business hours and assignment rules (TOML, see rapport.services.service_config).
    service_config: Path | None = None
    # Periodic jobs (SLA sweep, outbox relay, ...): None = in this process when there is no redis.
    jobs_in_process: bool | None = None
    scheduler_tick: float = Field(default=1.0, ge=0.05, le=60)  # seconds between checks for due jobs
    sla_sweep_interval: float = Field(default=5.0, ge=1, le=3600)
    # Rate limits on the GraphQL endpoint: query cost points per window, per actor and per client IP.
    rate_limit_enabled: bool = True
    rate_limit_window: float = Field(default=60.0, gt=0, le=86_400)
    rate_limit_actor: int = Field(default=100_000, ge=1)
    rate_limit_ip: int = Field(default=300_000, ge=1)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes (comma-separated IPs or CIDRs).
    # Empty: proxy headers are ignored and the client address is the TCP peer, whoever sends them.
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        # Normalised, because uvicorn silently treats what it cannot parse (e.g. 10.0.0.1/8) as a literal
        # that never matches a peer.
        normalised = []
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network (e.g. 10.0.0.5, 10.0.0.0/8)") from None
            normalised.append(str(network.network_address) if "/" not in entry else str(network))
        return ",".join(normalised)

    # Browser apps on other origins (comma-separated exact origins, scheme://host[:port]): their preflights
    # are answered and their responses carry CORS headers. Empty: no CORS headers at all. No "*" and no
    # credentials (cookies): a bearer token is sent explicitly, so only listed origins need to be trusted.
    cors_origins: str = ""

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, value: str) -> str:
        return ",".join(dict.fromkeys(_origin(entry) for entry in value.split(",") if entry.strip()))

    @property
    def cors_origin_set(self) -> frozenset[str]:
        return frozenset(self.cors_origins.split(",")) - {""}

    # Graceful shutdown: how long in-flight requests and running jobs may take to finish.
    shutdown_timeout: float = Field(default=30.0, ge=0, le=600)
    # Plugins (see plugins/README.md): None = every installed plugin; "" = none; "a,b" = only those.
    plugins: str | None = None
    disable_plugins: str = ""  # comma-separated names never registered (built-ins included)
    plugins_optional: bool = False  # start even when an installed plugin fails to import
    trace_plugins: bool = False  # log every hook call (RAPPORT_TRACE_PLUGINS=1)
    # Classification defaults (the built-in rules): a customer with no interaction for this many days is
    # CHURNED; one with at least this many interactions in the last 365 days is in the HIGH tier.
    churn_after_days: int = Field(default=180, ge=1, le=36500)
    high_tier_interactions: int = Field(default=24, ge=1)
    # The outbox relay: seconds between passes (in-process and in `rapport worker`), attempts per consumer.
    relay_interval: float = Field(default=1.0, gt=0, le=3600)
    relay_max_attempts: int = Field(default=8, ge=1, le=100)
    # Seconds a computed report is kept for the next equal ask (same report, arguments, scope and data
    # versions); 0 turns the report cache off, so every report is computed (benchmarks, debugging).
    report_cache_seconds: float = Field(default=60.0, ge=0, le=86_400)
    # Reads go through the compiled read path (one SQL statement per root field that builds the JSON,
    # rapport.compiler); off, every read runs through the resolvers (the reference the compiler is tested
    # against). In development ``extensions.readPath`` says which path served each root field.
    compiled_reads: bool = True

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme == "postgresql":
            value = "postgres://" + value.split("://", 1)[1]
        elif scheme not in {"sqlite", "postgres", "asyncpg"}:
            raise ValueError("must start with sqlite:// or postgres://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("default_phone_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region phonenumbers knows (e.g. US, CN, DE)")
        return region

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.secret_key is not None and len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(f"secret_key: must be at least {MIN_SECRET_LENGTH} characters")
        if self.env == "production" and not self.secret_key:
            raise ValueError("secret_key: is required when RAPPORT_ENV=production")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def graphiql_enabled(self) -> bool:
        return (not self.is_production) if self.graphiql is None else self.graphiql

    @property
    def runs_jobs_in_process(self) -> bool:
        return (not self.redis_url) if self.jobs_in_process is None else self.jobs_in_process

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")

    @cached_property
    def signing_key(self) -> str:
        """The key that signs tokens: the configured one, or in development a generated local one."""
        if self.secret_key:
            return self.secret_key
        return _development_secret(self.secret_key_file)


_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(entry: str) -> str:
    """One origin as browsers send it in ``Origin``: lower case, no default port; ValueError otherwise."""
    entry = entry.strip()
    example = "e.g. https://app.example.com or http://localhost:5173"
    if entry == "*":
        raise ValueError(f"'*' is not accepted: list each origin, {example}")
    # urlsplit silently drops tabs and newlines; an origin is printable ASCII (hosts in punycode).
    if not (entry.isascii() and entry.isprintable()) or " " in entry:
        raise ValueError(f"{entry!r} is not an origin (printable ASCII, international hosts in punycode), {example}")
    parts = urlsplit(entry)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not entry[len(scheme):].startswith("://"):
        raise ValueError(f"{entry!r}: an origin starts with http:// or https://, {example}")
    try:
        port, host = parts.port, parts.hostname or ""
    except ValueError:
        raise ValueError(f"{entry!r}: the port is not a number from 0 to 65535") from None
    if parts.username is not None or parts.path or parts.query or parts.fragment or "?" in entry or "#" in entry:
        raise ValueError(f"{entry!r}: an origin is scheme://host[:port], without user, path, query or fragment")
    if not _is_host(host):
        raise ValueError(f"{entry!r}: {host!r} is not a host name or IP address")
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}")


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return len(host) <= 253 and _HOST_NAME.fullmatch(host) is not None
    return True


def _development_secret(path: Path) -> str:
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if len(existing) >= MIN_SECRET_LENGTH:
        return existing
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; raise SettingsError with one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    message = first.get("msg", "invalid value").removeprefix("Value error, ")
    if not location and ": " in message:
        name, message = message.split(": ", 1)
        location = [name]
    variable = ENV_PREFIX + (location[0].upper() if location else "SETTINGS")
    shown = first.get("input")
    got = f" (got {shown!r})" if location and isinstance(shown, (str, int)) and "secret" not in variable.lower() else ""
    return f"{variable}: {message}{got}"
