"""The ticket workflow table is the API contract's, and refusals name both statuses."""

from __future__ import annotations

import itertools

import pytest

from rapport.models import TicketStatus
from rapport.services.errors import DomainError, ErrorCode
from rapport.services.ticket_workflow import ALLOWED, can_transition, check_transition

S = TicketStatus
CONTRACT = {
    S.NEW: {S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED},
    S.OPEN: {S.PENDING, S.RESOLVED, S.CLOSED},
    S.PENDING: {S.OPEN, S.RESOLVED, S.CLOSED},
    S.RESOLVED: {S.CLOSED, S.OPEN},
    S.CLOSED: {S.OPEN},
}
PAIRS = list(itertools.product(TicketStatus, TicketStatus))


def test_the_table_is_the_contracts() -> None:
    assert ALLOWED == CONTRACT


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a.name}->{b.name}" for a, b in PAIRS])
def test_each_pair(source, target) -> None:
    allowed = target in CONTRACT[source]
    assert can_transition(source, target) is allowed
    if allowed:
        check_transition(source, target)
        return
    with pytest.raises(DomainError) as raised:
        check_transition(source, target)
    problem = raised.value.problems[0]
    assert problem.code == ErrorCode.INVALID_TRANSITION and problem.path == ("to",)
    assert source.name in problem.message and target.name in problem.message
