"""Settings: embedded defaults, one clear line per bad variable, a reused development secret."""

from __future__ import annotations

import pytest

from rapport.settings import SettingsError, load_settings


def test_defaults_are_embedded(clean_env) -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite://./rapport.db"
    assert settings.redis_url is None
    assert settings.env == "development" and settings.graphiql_enabled


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("RAPPORT_PORT", "eighty", "RAPPORT_PORT:"),
        ("RAPPORT_PORT", "70000", "RAPPORT_PORT:"),
        ("RAPPORT_ENV", "staging", "RAPPORT_ENV:"),
        ("RAPPORT_DATABASE_URL", "mysql://db/x", "RAPPORT_DATABASE_URL: must start with sqlite:// or postgres://"),
        ("RAPPORT_REDIS_URL", "localhost:6379", "RAPPORT_REDIS_URL: must start with redis://"),
        ("RAPPORT_DEFAULT_PHONE_REGION", "XX", "RAPPORT_DEFAULT_PHONE_REGION:"),
        ("RAPPORT_SECRET_KEY", "short", "RAPPORT_SECRET_KEY: must be at least 32 characters"),
    ],
)
def test_bad_settings_fail_with_one_line_naming_the_variable(clean_env, variable, value, expected) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected) and "\n" not in message


def test_secret_values_are_never_echoed(clean_env) -> None:
    clean_env.setenv("RAPPORT_SECRET_KEY", "tooshort-but-secret")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "tooshort-but-secret" not in str(caught.value)


def test_production_requires_a_secret_key(clean_env) -> None:
    clean_env.setenv("RAPPORT_ENV", "production")
    with pytest.raises(SettingsError, match="^RAPPORT_SECRET_KEY: is required when RAPPORT_ENV=production$"):
        load_settings()


def test_production_turns_graphiql_off(clean_env) -> None:
    clean_env.setenv("RAPPORT_ENV", "production")
    clean_env.setenv("RAPPORT_SECRET_KEY", "p" * 40)
    assert not load_settings().graphiql_enabled


def test_postgresql_scheme_is_accepted(clean_env) -> None:
    clean_env.setenv("RAPPORT_DATABASE_URL", "postgresql://u@h:5432/d")
    assert load_settings().database_url == "postgres://u@h:5432/d"


def test_development_secret_is_generated_once_and_reused(clean_env, tmp_path) -> None:
    first = load_settings().signing_key
    assert (tmp_path / ".rapport-secret").stat().st_mode & 0o077 == 0, "the key file is private"
    assert load_settings().signing_key == first and len(first) >= 32
