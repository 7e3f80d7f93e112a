"""``assert_same`` catches every difference between two answers except remainingSeconds within 2 s: the
differential tests are only as strict as it is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compiler.same_answer import assert_same


def answer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "data": {"tickets": {"nodes": [{"number": "T-000001", "sla": {"remainingSeconds": 3600, "resolutionBreached": False}},
                                       {"number": "T-000002", "sla": {"remainingSeconds": None, "resolutionBreached": True}}]},
                 "customer": {"name": "Ann", "email": "a***@example.com"}},
        "errors": [{"message": "No access", "path": ["ticket"], "extensions": {"code": "FORBIDDEN"}}],
        "extensions": {"redactions": [{"field": "Customer.email", "mode": "masked", "count": 1}],
                       "readPath": {"tickets": "compiled", "customer": "resolvers"}},
    }
    body.update(overrides)
    return body


def test_equal_answers_pass_and_give_the_read_path() -> None:
    assert assert_same(answer(), answer()) == {"tickets": "compiled", "customer": "resolvers"}
    assert assert_same({"data": {"viewer": {"roles": []}}}, {"data": {"viewer": {"roles": []}}}) == {}


def test_remaining_seconds_may_differ_by_two_and_no_more() -> None:
    later = answer()
    later["data"]["tickets"]["nodes"][0]["sla"]["remainingSeconds"] = 3598
    assert_same(answer(), later)
    later["data"]["tickets"]["nodes"][0]["sla"]["remainingSeconds"] = 3597
    with pytest.raises(AssertionError, match="remainingSeconds"):
        assert_same(answer(), later)
    aliased = {"data": {"t": {"sla": {"remainingSeconds_3": 10}}}}
    assert_same(aliased, {"data": {"t": {"sla": {"remainingSeconds_3": 11}}}})
    with pytest.raises(AssertionError):  # null is not "close to" a number
        assert_same(aliased, {"data": {"t": {"sla": {"remainingSeconds_3": None}}}})


def change(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize("path, value", [
    (("data", "customer", "email"), "ann@example.com"),  # a value
    (("data", "tickets", "nodes", 1, "sla", "resolutionBreached"), False),
    (("data", "tickets", "nodes", 0, "number"), "T-000002"),
    (("data", "customer", "name"), None),
    (("data", "tickets", "nodes"), []),  # a row missing
    (("data", "customer"), {"email": "a***@example.com", "name": "Ann"}),  # key order
    (("errors", 0, "message"), "Not found"),
    (("errors", 0, "path"), ["tickets"]),
    (("errors", 0, "extensions"), {"code": "NOT_FOUND"}),
    (("errors",), []),
    (("extensions", "redactions", 0, "count"), 2),
    (("extensions", "redactions"), []),
])
def test_any_other_difference_fails(path: tuple[Any, ...], value: Any) -> None:
    with pytest.raises(AssertionError):
        assert_same(change(answer(), path, value), answer())


def test_no_redactions_equals_an_empty_list_and_an_int_is_not_a_float() -> None:
    assert_same({"data": {"x": 1}, "extensions": {"redactions": []}}, {"data": {"x": 1}})
    with pytest.raises(AssertionError):
        assert_same({"data": {"x": 1}}, {"data": {"x": 1.0}})
