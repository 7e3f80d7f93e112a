"""Every hook is documented and typed: each parameter, the return value and whether the first result
wins (datasette's test_docs idea, applied to the hook specifications themselves)."""

from __future__ import annotations

import inspect
import re
import typing

import pytest

from rapport import hookspecs
from rapport.plugins import make_manager

CONTRACT = {
    "custom_fields", "validate_record", "classify_customer", "classify_ticket", "on_event", "graphql_extensions",
    "default_policies", "periodic_jobs", "actor_from_request", "startup", "shutdown", "sla_policy",
}


def _specs() -> list[tuple[str, object]]:
    return [(name, fn) for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, "rapport_spec")]


def test_the_hooks_of_the_contract_exist() -> None:
    assert CONTRACT <= {name for name, _ in _specs()}


@pytest.mark.parametrize(("name", "spec"), _specs(), ids=[name for name, _ in _specs()])
def test_each_hook_documents_every_parameter_the_result_and_first_result(name: str, spec) -> None:
    doc = inspect.getdoc(spec) or ""
    signature = inspect.signature(spec)
    for parameter in signature.parameters:
        assert re.search(rf":param {parameter}:", doc), f"{name}: parameter {parameter} is not documented"
    documented = set(re.findall(r":param (\w+):", doc))
    assert documented <= set(signature.parameters), f"{name}: documents parameters it does not have: {documented - set(signature.parameters)}"
    assert ":returns:" in doc, f"{name}: the return value is not documented"
    firstresult = spec.rapport_spec["firstresult"]
    statement = re.search(r"First result: (yes|no)", doc)
    assert statement, f"{name}: says nothing about whether the first result wins ('First result: yes/no')"
    assert (statement.group(1) == "yes") == firstresult, f"{name}: the docstring and firstresult={firstresult} disagree"


@pytest.mark.parametrize(("name", "spec"), _specs(), ids=[name for name, _ in _specs()])
def test_each_hook_is_fully_typed(name: str, spec) -> None:
    hints = typing.get_type_hints(spec, globalns=_type_namespace())
    for parameter in inspect.signature(spec).parameters:
        assert parameter in hints, f"{name}: parameter {parameter} has no type"
    assert "return" in hints, f"{name}: no return type"


def test_the_manager_knows_every_spec_and_nothing_else() -> None:
    manager = make_manager()
    assert {name for name, _ in _specs()} == set(vars(manager.hook))


def _type_namespace() -> dict:
    from starlette.applications import Starlette

    from rapport import plugin_api
    from rapport.auth.actor import Actor
    from rapport.services.assignment import AssignmentContext
    from rapport.services.service_config import SlaPolicy
    from rapport.services.sla_policies import TicketContext
    from rapport.settings import Settings

    namespace = dict(vars(hookspecs))
    namespace.update(vars(plugin_api))
    namespace.update(Starlette=Starlette, Actor=Actor, AssignmentContext=AssignmentContext, SlaPolicy=SlaPolicy, TicketContext=TicketContext, Settings=Settings)
    return namespace
