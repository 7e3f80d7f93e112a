"""The database settings reach tortoise's connection: pool size, pool wait, lock and statement timeouts."""

from __future__ import annotations

import pytest

from rapport.db import tortoise_config
from rapport.settings import SettingsError, load_settings


def test_postgres_connections_get_the_pool_and_timeouts_from_the_environment(clean_env) -> None:
    clean_env.setenv("RAPPORT_DATABASE_URL", "postgres://app@db:5432/rapport?minsize=4")
    clean_env.setenv("RAPPORT_DATABASE_POOL_SIZE", "3")
    clean_env.setenv("RAPPORT_DATABASE_POOL_TIMEOUT", "1.5")
    clean_env.setenv("RAPPORT_DATABASE_LOCK_TIMEOUT", "0.25")
    clean_env.setenv("RAPPORT_DATABASE_STATEMENT_TIMEOUT", "12")
    connection = tortoise_config(load_settings())["connections"]["default"]
    credentials = connection["credentials"]
    assert connection["engine"] == "rapport.db_engines.postgres"
    assert (credentials["maxsize"], credentials["minsize"], credentials["pool_timeout"]) == (3, 3, 1.5)
    assert credentials["server_settings"] == {"lock_timeout": "250", "statement_timeout": "12000"}
    # Migrations may rewrite large tables: they keep the lock timeout but have no statement timeout.
    migrating = tortoise_config(load_settings(), statement_timeout=False)["connections"]["default"]["credentials"]
    assert migrating["server_settings"] == {"lock_timeout": "250"}


def test_sqlite_gets_a_busy_timeout_and_a_bounded_wait_for_its_connection(clean_env) -> None:
    clean_env.setenv("RAPPORT_DATABASE_LOCK_TIMEOUT", "2")
    connection = tortoise_config(load_settings())["connections"]["default"]
    assert connection["engine"] == "rapport.db_engines.sqlite"
    assert connection["credentials"]["busy_timeout"] == 2000 and connection["credentials"]["pool_timeout"] == 5.0


@pytest.mark.parametrize("variable", ["RAPPORT_DATABASE_POOL_SIZE", "RAPPORT_DATABASE_POOL_TIMEOUT",
                                      "RAPPORT_DATABASE_LOCK_TIMEOUT", "RAPPORT_DATABASE_STATEMENT_TIMEOUT"])
def test_no_limit_may_be_zero_or_unbounded(clean_env, variable) -> None:
    for value in ("0", "-1", "inf"):
        clean_env.setenv(variable, value)
        with pytest.raises(SettingsError, match=f"^{variable}:"):
            load_settings()
