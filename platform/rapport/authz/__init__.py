"""Access control: casbin rules as data, turned into one permission plan per actor.

- :mod:`rapport.authz.model` — the casbin model, resources, actions, scopes, PII fields
- :mod:`rapport.authz.rules` — rules, grants and field groups as values; their CSV form
- :mod:`rapport.authz.adapter` — the casbin adapter over the ``policy_rules`` table
- :mod:`rapport.authz.enforcer` — the compiled policy and the process-wide engine (reload on version change)
- :mod:`rapport.authz.plan` — ``PermissionPlan``, ``RowScope``, ``plan_for(actor)``
- :mod:`rapport.authz.sql` — a plan's row scope as a tortoise ``Q``
- :mod:`rapport.authz.masking` — masked email, phone and address
- :mod:`rapport.authz.explain` — why: the decision and the rules behind it
- :mod:`rapport.authz.store` — editing the policy (one transaction, audited, version bump, publish)
- :mod:`rapport.authz.self_elevation` — separation of duties: does a change widen its author's own access?
- :mod:`rapport.authz.lint` — findings about a policy
- :mod:`rapport.authz.cases` — expected decisions (``policies/cases.csv``)
- :mod:`rapport.authz.bench` — ``python -m rapport.authz.bench``
"""

from rapport.authz.plan import PermissionPlan, RowScope, plan_for

__all__ = ["PermissionPlan", "RowScope", "plan_for"]
