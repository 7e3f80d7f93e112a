"""The casbin adapter over policy_rules (both legs)."""

from __future__ import annotations

import pytest
from casbin.model import Model
from tortoise.transactions import in_transaction

from rapport.authz.adapter import PolicyRuleAdapter, load_rows
from rapport.authz.model import model_text
from rapport.models import PolicyRule

AGENT_READ = ["role:agent", "*", "customer", "read", "dept", "allow"]
GRANT = ["user:a@x.org", "role:agent", "sales"]


def _model() -> Model:
    model = Model()
    model.load_model_from_text(model_text())
    return model


async def test_add_load_remove(db) -> None:
    adapter = PolicyRuleAdapter()
    assert await adapter.add_policy("p", "p", AGENT_READ)
    assert not await adapter.add_policy("p", "p", AGENT_READ)  # already there
    assert await adapter.add_policies("g", "g", [GRANT, ["user:b@x.org", "role:agent", "support"]])
    assert await adapter.add_policy("g", "g2", ["customer.email", "customer.pii"])
    model = _model()
    await adapter.load_policy(model)
    assert model.model["p"]["p"].policy == [AGENT_READ]
    assert model.model["g"]["g"].policy == [GRANT, ["user:b@x.org", "role:agent", "support"]]
    assert model.model["g"]["g2"].policy == [["customer.email", "customer.pii"]]
    assert await adapter.remove_policy("g", "g", GRANT)
    assert not await adapter.remove_policy("g", "g", GRANT)
    assert await load_rows(ptypes=["g"]) == [("g", ["user:b@x.org", "role:agent", "support"])]


async def test_remove_filtered_policy_never_crosses_rule_types(db) -> None:
    adapter = PolicyRuleAdapter()
    await adapter.add_policy("p", "p", ["role:agent", "sales", "ticket", "read", "dept", "allow"])
    await adapter.add_policy("g", "g", ["role:agent", "role:base", "sales"])  # same v0 as the p row
    assert await adapter.remove_filtered_policy("p", "p", 0, "role:agent")
    assert await load_rows() == [("g", ["role:agent", "role:base", "sales"])]
    with pytest.raises(ValueError):
        await adapter.remove_filtered_policy("p", "", 0, "role:agent")
    await adapter.add_policy("p", "p", ["role:x", "sales", "ticket", "read", "dept", "allow"])
    await adapter.add_policy("p", "p", ["role:x", "vip", "ticket", "read", "dept", "allow"])
    assert await adapter.remove_filtered_policy("p", "p", 1, "vip", "", "read")  # "" = any value
    assert [values[1] for _, values in await load_rows(ptypes=["p"])] == ["sales"]


async def test_save_policy_replaces_everything_in_one_transaction(db) -> None:
    adapter = PolicyRuleAdapter()
    await adapter.add_policy("p", "p", AGENT_READ)
    model = _model()
    model.model["p"]["p"].policy.append(["role:manager", "*", "customer", "read", "dept", "allow"])
    model.model["g"]["g"].policy.append(GRANT)
    assert await adapter.save_policy(model)
    assert await load_rows() == [("p", ["role:manager", "*", "customer", "read", "dept", "allow"]), ("g", GRANT)]

    broken = _model()
    broken.model["p"]["p"].policy.extend([AGENT_READ, AGENT_READ])  # violates the unique constraint
    with pytest.raises(Exception):
        await adapter.save_policy(broken)
    assert len(await load_rows()) == 2  # rolled back: the previous rules are still there


async def test_inside_the_callers_transaction(db) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await PolicyRuleAdapter(conn).add_policy("p", "p", AGENT_READ)
            assert await PolicyRuleAdapter(conn).remove_filtered_policy("p", "p", 0, "role:nobody") is False
            raise RuntimeError("the caller fails")
    assert await PolicyRule.all().count() == 0
