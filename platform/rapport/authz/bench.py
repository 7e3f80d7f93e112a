"""Benchmark: ``python -m rapport.authz.bench [--rules N] [--repeat N]``.

Builds a policy of about ``--rules`` rules (the default policy plus generated roles and rules for
more departments), an actor with three role grants, and prints:

- how long compiling the policy (building the enforcer) takes,
- enforce() latency: FastEnforcer indexed by subject vs a plain Enforcer (every rule per request),
  with the parsed matcher kept, and pycasbin's Enforcer as shipped (parses the matcher per call),
- the time to build a permission plan and answer every known (resource, action) pair (cold),
- a request's questions against a cached plan (warm).

Figures are printed, never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from casbin import Enforcer
from casbin.model import Model
from casbin.util.builtin_operators import key_match

from rapport.auth.actor import Actor, RoleGrant
from rapport.authz.enforcer import CompiledPolicy, build_plain_enforcer
from rapport.authz.model import ACTIONS, RESOURCES, action_covers, default_policy_text, model_text, scope_covers
from rapport.authz.plan import PermissionPlan
from rapport.authz.rules import Assignment, Rule, parse_policy

DEPARTMENTS = ("sales", "support", "marketing", "finance", "vip")
SUBJECT = "user:bench@example.com"
GRANTS = (RoleGrant("agent", "sales"), RoleGrant("manager", "marketing"), RoleGrant("analyst", "*"))


def bench_policy(target_rules: int) -> CompiledPolicy:
    policy = parse_policy(default_policy_text())
    resources = ("customer", "ticket", "interaction", "customer.title", "ticket.assignee", "report.*")
    n = 0
    while len(policy.rules) < target_rules:
        role = f"role:team{n // 10}"
        department = DEPARTMENTS[n % len(DEPARTMENTS)]
        policy.rules.append(Rule(role, department, resources[n % len(resources)], ACTIONS[n % len(ACTIONS)], "dept", "allow"))
        n += 1
    for grant in GRANTS:
        policy.assignments.append(Assignment(SUBJECT, f"role:{grant.role}", grant.department))
    for i in range(50):
        policy.assignments.append(Assignment(f"user:other{i}@example.com", "role:agent", DEPARTMENTS[i % 5]))
    return CompiledPolicy(policy, version=1, source="bench")


def shipped_enforcer(rows: list[tuple[str, list[str]]]) -> Enforcer:
    """casbin's Enforcer without our matcher cache (it parses the matcher in every call)."""
    model = Model()
    model.load_model_from_text(model_text())
    for ptype, values in rows:
        model.model[ptype[0]][ptype].policy.append(list(values))
    enforcer = Enforcer(model)
    enforcer.add_function("scopeCovers", scope_covers)
    enforcer.add_function("actionCovers", action_covers)
    enforcer.add_named_domain_matching_func("g", key_match)
    enforcer.build_role_links()
    return enforcer


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def describe(samples: list[float], unit: str = "ms") -> str:
    scale = 1e3 if unit == "ms" else 1e6
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(samples) * scale:8.3f} {unit}   p95 {p95 * scale:8.3f} {unit}   (n={len(samples)})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rapport.authz.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=100, help="rules in the policy (default 100)")
    parser.add_argument("--repeat", type=int, default=200, help="repetitions per figure (default 200)")
    args = parser.parse_args(argv)

    compiled = bench_policy(args.rules)
    rows = compiled.policy.rows()
    actor = Actor("user", "bench@example.com", agent_id=1, department="sales", grants=GRANTS)
    print(f"policy: {len(compiled.policy.rules)} rules, {len(compiled.policy.assignments)} role grants, "
          f"{len(compiled.policy.groups)} field groups; actor with {len(GRANTS)} grants: "
          + ", ".join(map(str, GRANTS)))

    print(f"compile policy (FastEnforcer)            {describe(timed(lambda: CompiledPolicy(compiled.policy, 1), max(10, args.repeat // 10)))}")

    plain = build_plain_enforcer(rows)
    # allowed, no deny matches: casbin evaluates every rule (a matching deny would end the scan early)
    request = (SUBJECT, "sales", "customer", "update", "own")
    subjects = compiled.subjects_for(SUBJECT, "sales")
    fast_one = compiled.enforcer
    with_filter = lambda: compiled.decide(["role:agent"], *request[1:])  # noqa: E731
    print(f"enforce, FastEnforcer, one subject       {describe(timed(with_filter, args.repeat * 5), 'us')}")
    print(f"enforce, FastEnforcer, user + {len(subjects) - 1} roles     "
          f"{describe(timed(lambda: compiled.decide(subjects, *request[1:]), args.repeat * 5), 'us')}")
    print(f"enforce, plain Enforcer, user subject    {describe(timed(lambda: plain.enforce(*request), args.repeat * 5), 'us')}")
    shipped = shipped_enforcer(rows)
    print(f"enforce, pycasbin Enforcer as shipped    {describe(timed(lambda: shipped.enforce(*request), args.repeat * 5), 'us')}")
    assert fast_one is compiled.enforcer

    pairs = len(RESOURCES) * len(ACTIONS)
    cold = timed(lambda: PermissionPlan(actor, compiled).materialize(), max(10, args.repeat // 10))
    print(f"plan, build + all {pairs} resource/action pairs {describe(cold)}")

    def typical() -> None:  # what a customer list request asks on a cold plan
        plan = PermissionPlan(actor, compiled)
        plan.row_scope("customer")
        for field in ("customer.email", "customer.phone", "customer.address", "customer.title"):
            plan.field_mode(field, "sales", True)
            plan.field_mode(field, "sales", False)
            plan.field_mode(field, "marketing", False)
    print(f"plan, build + one list request (cold)    {describe(timed(typical, args.repeat))}")

    warm = PermissionPlan(actor, compiled).materialize()
    typical_warm = lambda: (warm.row_scope("customer"), warm.field_mode("customer.email", "sales", False))  # noqa: E731
    warm.field_mode("customer.email", "sales", False)
    print(f"plan, cached: row_scope + field_mode     {describe(timed(typical_warm, args.repeat * 5), 'us')}")


if __name__ == "__main__":
    main()
