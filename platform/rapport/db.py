"""The tortoise-orm configuration, shared by the app, the CLI and the migration commands."""

from __future__ import annotations

from typing import Any

from rapport.settings import Settings

APP_LABEL = "rapport"
MODELS_MODULE = "rapport.models"
MIGRATIONS_MODULE = "rapport.migrations"


def tortoise_config(settings: Settings | str) -> dict[str, Any]:
    """Tortoise config for a Settings object or a bare database URL."""
    url = settings if isinstance(settings, str) else settings.database_url
    return {
        "connections": {"default": url},
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
