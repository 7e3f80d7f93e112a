"""Each test starts with a fresh policy engine and department-id cache: tables are emptied between
tests, so a policy version or a department id may repeat with other contents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rapport.authz import store
from rapport.authz.enforcer import CompiledPolicy, set_engine
from rapport.authz.model import default_policy_text
from rapport.authz.sql import forget_departments


@pytest.fixture(autouse=True)
def fresh_authz_state() -> Iterator[None]:
    set_engine(None)
    forget_departments()
    hooks = list(store.on_policy_changed)
    yield
    store.on_policy_changed[:] = hooks
    set_engine(None)
    forget_departments()


@pytest.fixture(scope="session")
def default_policy() -> CompiledPolicy:
    return CompiledPolicy.from_text(default_policy_text())
