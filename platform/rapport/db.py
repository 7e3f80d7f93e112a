"""The tortoise-orm configuration, shared by the app, the CLI and the migration commands."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

from rapport.settings import Settings

APP_LABEL = "rapport"
MODELS_MODULE = "rapport.models"
MIGRATIONS_MODULE = "rapport.migrations"

# tortoise's engines, and ours with bounded waits for a connection (rapport.db_engines).
_ENGINES = {
    "tortoise.backends.sqlite": "rapport.db_engines.sqlite",
    "tortoise.backends.asyncpg": "rapport.db_engines.postgres",
}


def tortoise_config(settings: Settings | str, *, statement_timeout: bool = True) -> dict[str, Any]:
    """Tortoise config for a Settings object or a bare database URL (with the default limits).

    ``statement_timeout=False`` lifts the statement timeout (migrations may rewrite large tables); the
    pool and lock timeouts stay."""
    if isinstance(settings, str):
        settings = Settings.model_construct(database_url=settings)  # the defaults, not the environment
    return {
        "connections": {"default": connection_config(settings, statement_timeout=statement_timeout)},
        "apps": {
            APP_LABEL: {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def connection_config(settings: Settings, *, statement_timeout: bool = True) -> dict[str, Any]:
    """The connection with the settings' limits: bounded pool waits, lock waits and statements."""
    config = expand_db_url(settings.database_url)
    credentials = config["credentials"]
    engine = config["engine"]
    credentials["pool_timeout"] = settings.database_pool_timeout
    if engine == "tortoise.backends.sqlite":
        credentials["busy_timeout"] = _milliseconds(settings.database_lock_timeout)
    else:
        credentials["maxsize"] = settings.database_pool_size
        credentials["minsize"] = min(int(credentials.get("minsize", 1)), settings.database_pool_size)
        server_settings = dict(credentials.get("server_settings") or {})
        server_settings["lock_timeout"] = str(_milliseconds(settings.database_lock_timeout))
        if statement_timeout:
            server_settings["statement_timeout"] = str(_milliseconds(settings.database_statement_timeout))
        credentials["server_settings"] = server_settings
    return {"engine": _ENGINES.get(engine, engine), "credentials": credentials}


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))
