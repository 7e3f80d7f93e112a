"""Every hook Rapport calls, with its contract. The names are the plugin interface: never remove one.

A plugin implements hooks with ``@rapport.hookimpl``, naming only the parameters it needs (pluggy
passes those): hooks can grow parameters without breaking plugins. Deprecate with ``warn_on_impl``.

Calling conventions (Rapport dispatches every hook itself, one implementation at a time, so that a
failure names its plugin):

- Call order: ``tryfirst`` implementations first, ``trylast`` last, the others newest-registered
  first. Built-in plugins are registered before installed ones, so installed plugins run first and
  their decisions take precedence over the built-in defaults.
- Asynchronous implementations: any hook marked "may be async" accepts an ``async def``
  implementation; Rapport awaits it. For "first result wins" hooks the *awaited* value counts: an
  async implementation returning None does not win (pluggy's own ``firstresult`` would let the
  coroutine win, which is why Rapport does the dispatching).
- Hooks marked "synchronous" are called while the schema and registries are built, outside any
  event loop: an ``async def`` implementation is an error reported at start.
- Failures: an exception in ``validate_record``, ``classify_customer`` or ``classify_ticket`` aborts the
  write with PLUGIN_FAILED naming the plugin, and nothing is written; in ``on_event`` it is retried
  with backoff, then parked for that plugin alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from rapport.auth.actor import Actor
    from rapport.plugin_api import (
        ClassificationRule,
        CustomerFacts,
        CustomField,
        Decision,
        Event,
        GraphQLExtensions,
        PeriodicJob,
        Problem,
        TicketFacts,
    )
    from rapport.services.assignment import AssignmentContext
    from rapport.services.service_config import SlaPolicy
    from rapport.services.sla_policies import TicketContext
    from rapport.settings import Settings

hookspec = pluggy.HookspecMarker("rapport")


# ------------------------------------------------------------------------------------------------
# Lifecycle
# ------------------------------------------------------------------------------------------------


@hookspec
def startup(settings: Settings, app: Starlette | None) -> Awaitable[None] | None:
    """Called once when a process starts serving: the app (embedded or production), ``rapport worker``
    and the plugin test fixtures, after the database is open. May be async.

    :param settings: the process's settings.
    :param app: the Starlette application, or None in a worker or a command.
    :returns: nothing (the return value is ignored).

    First result: no, every implementation is called. An exception stops the process from starting.
    """


@hookspec
def shutdown(settings: Settings, app: Starlette | None) -> Awaitable[None] | None:
    """Called once when a process stops, before the database closes. May be async.

    :param settings: the process's settings.
    :param app: the Starlette application, or None in a worker or a command.
    :returns: nothing (the return value is ignored).

    First result: no, every implementation is called; an exception is logged and the next one runs.
    """


@hookspec
def periodic_jobs(settings: Settings) -> Sequence[PeriodicJob] | None:
    """Work to repeat on a schedule (re-classification, the outbox relay, a webhook sender). Synchronous.

    :param settings: the process's settings.
    :returns: ``PeriodicJob`` values; each job name should start with the plugin's name. A job runs in at
        most one process at a time (a lease per name), in ``rapport worker`` in production and inside the
        app process in embedded mode.

    First result: no, the lists of every implementation are concatenated.
    """


# ------------------------------------------------------------------------------------------------
# Data: custom fields and validation
# ------------------------------------------------------------------------------------------------


@hookspec
def custom_fields(settings: Settings) -> Sequence[CustomField] | None:
    """Typed fields this plugin adds to customers, interactions or tickets. Synchronous.

    :param settings: the process's settings.
    :returns: ``CustomField`` definitions. Rapport sets ``owner`` to the plugin's name; two plugins
        declaring the same field of the same entity is an error reported at start. The values live in
        the record's ``custom`` JSON, are validated on every write and appear in GraphQL as
        ``customFields { <camelCaseName> }``.

    First result: no, the lists of every implementation are concatenated.
    """


@hookspec
def validate_record(
    entity: str,
    record: Mapping[str, Any],
    changes: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    actor: Actor | None,
    settings: Settings,
) -> Sequence[Problem] | Awaitable[Sequence[Problem] | None] | None:
    """Check a record about to be written, after Rapport's own validation. May be async.

    :param entity: ``customer``, ``interaction`` or ``ticket``.
    :param record: the record as it will be stored (column names, ``custom`` with its typed values).
    :param changes: the columns this write sets (all of them on create).
    :param previous: the record before the write, or None on create.
    :param actor: who writes (None for system work such as batch re-classification).
    :param settings: the process's settings.
    :returns: ``Problem`` values (code, message, input path such as ``("input", "custom", "region")``)
        that make the write fail with those errors, or None / an empty list when the record is fine.

    First result: no, the problems of every implementation are reported together. Raising instead of
    returning problems fails the write with PLUGIN_FAILED naming the plugin; nothing is written.
    """


# ------------------------------------------------------------------------------------------------
# Classification
# ------------------------------------------------------------------------------------------------


@hookspec
def classify_customer(customer: CustomerFacts, settings: Settings) -> Sequence[Decision] | Awaitable[Sequence[Decision] | None] | None:
    """Decide a customer's segment, tier and tags. Called on every write of the customer, of its
    interactions and tickets, and by ``rapport classify``. May be async.

    :param customer: the customer's record and signals (interactions in the last year, purchases,
        tickets, last activity) at ``customer.now``.
    :param settings: the process's settings (``churn_after_days``, ``high_tier_interactions``).
    :returns: ``Decision`` values with target ``segment``, ``tier`` or ``tag``, or None to have no
        opinion. For segment and tier the first decision in call order wins, so an installed plugin
        overrides the built-in default rules; every tag decision adds its tag. A segment or tier a
        person set explicitly is kept (pinned) and rules do not change it.

    First result: no, every implementation is called and the decisions are merged as described.
    Raising fails the write with PLUGIN_FAILED naming the plugin; nothing is written.
    """


@hookspec
def classify_ticket(ticket: TicketFacts, settings: Settings) -> Sequence[Decision] | Awaitable[Sequence[Decision] | None] | None:
    """Set the category, priority, department or tags of a new ticket. May be async.

    :param ticket: the ticket being opened (``given`` names what the opener set explicitly) and its
        customer's facts (``ticket.customer``: tier, segment, custom fields).
    :param settings: the process's settings.
    :returns: ``Decision`` values with target ``category``, ``priority`` (``low``, ``normal``, ``high``,
        ``urgent``), ``department`` (a department code) or ``tag``, or None. For single-valued targets the
        first decision in call order wins; tags add up. The reasons are recorded in the ticket's
        CLASSIFIED activity.

    First result: no, every implementation is called and the decisions are merged.
    Raising fails the open with PLUGIN_FAILED naming the plugin; nothing is written.
    """


@hookspec
def classification_rules(settings: Settings) -> Sequence[ClassificationRule] | None:
    """The rules this plugin's classifiers apply, for ``rapport plugins`` and the partner guide.
    Synchronous.

    :param settings: the process's settings.
    :returns: ``ClassificationRule`` values (name, ``customer`` or ``ticket``, description).

    First result: no, the lists of every implementation are concatenated.
    """


@hookspec(firstresult=True)
def sla_policy(ticket: TicketContext, settings: Settings) -> SlaPolicy | Mapping[str, Any] | Awaitable[SlaPolicy | Mapping[str, Any] | None] | None:
    """The service-level policy of a ticket being opened (or re-planned). May be async.

    :param ticket: a ``rapport.services.sla_policies.TicketContext``: priority, department code, the
        customer's tier, category, tags, custom fields, ids.
    :param settings: the process's settings.
    :returns: a ``rapport.services.service_config.SlaPolicy``, or a mapping in the configuration's policy
        shape (``{"name": "vip", "first_response": "1h", "resolution": "8h"}``), or None to leave the choice
        to the configured policies (and finally the built-in ``default`` policy by priority). The chosen
        policy's name is stored on the ticket.

    First result: yes, the first non-None (awaited) result wins. Raising is logged and the configured
    policies decide: a failing plugin never stops a ticket from opening.
    """



@hookspec(firstresult=True)
def assign_ticket(ticket: AssignmentContext, settings: Settings) -> int | Awaitable[int | None] | None:
    """Who gets a ticket that is assigned automatically: on open, when its department assigns
    automatically (``round_robin`` or ``least_open``), and on ``assignTicket(id, assignee: null)``.
    May be async.

    :param ticket: a ``rapport.services.assignment.AssignmentContext``: ticket and department ids, the
        department's code, priority, category, tags, customer id and custom fields. On open the ticket
        is being written in the same transaction: read the context, not the database row.
    :param settings: the process's settings.
    :returns: the id of an active agent of the ticket's department, or None to leave the choice to the
        department's strategy. An agent outside the department, or inactive, is ignored (logged) and
        the strategy decides. The choice is recorded as an ASSIGNED activity with rule ``plugin``.

    First result: yes, the first non-None (awaited) result wins. Raising is logged and the department's
    strategy decides: a failing plugin never stops a ticket from opening.
    """

# ------------------------------------------------------------------------------------------------
# Integration
# ------------------------------------------------------------------------------------------------


@hookspec
def on_event(event: Event, settings: Settings) -> Awaitable[None] | None:
    """Receive a domain event after its transaction committed (customer.created, ticket.opened, ...).
    May be async.

    :param event: the event (topic, entity, entity id, payload of ids and field names).
    :param settings: the process's settings.
    :returns: nothing. Returning normally acknowledges the event for this plugin; raising makes the
        relay retry it with exponential backoff, and park it after ``RAPPORT_RELAY_MAX_ATTEMPTS``
        (visible to admins, retried on request). Delivery is at least once (be idempotent: ``event.id``
        is unique) and in order per entity; one plugin's failures never delay another plugin.

    First result: no; each plugin is a consumer of its own, called by the relay.
    """


@hookspec
def graphql_extensions(settings: Settings) -> GraphQLExtensions | None:
    """Root fields and types this plugin adds to the GraphQL schema. Synchronous.

    :param settings: the process's settings.
    :returns: a ``GraphQLExtensions`` (query, mutation and subscription mixin classes, extra types), or
        None. Each added root field must declare its permission with ``secured(resource, action)``.

    First result: no, the extensions of every implementation are combined.
    """


@hookspec
def default_policies(settings: Settings) -> Sequence[str] | None:
    """Access-policy lines this plugin needs, in ``policies/policy.csv`` syntax (``p, ...`` and ``g2, ...``).
    Synchronous.

    :param settings: the process's settings.
    :returns: CSV lines. Each is added to the stored policy once, when the process starts with this
        plugin installed (recorded as a policy change by ``plugin:<name>``); a line a security admin
        later removes is not added again.

    First result: no, the lines of every implementation are concatenated.
    """


@hookspec(firstresult=True)
def actor_from_request(headers: Mapping[str, str], settings: Settings) -> Actor | Awaitable[Actor | None] | None:
    """Authenticate a request that carries no valid Rapport token (e.g. a trusted proxy's SSO header).
    May be async.

    :param headers: the request headers, names in lower case.
    :param settings: the process's settings.
    :returns: the ``rapport.auth.actor.Actor`` the request acts as, or None when this plugin cannot tell.
        A bearer token that Rapport verifies always takes precedence.

    First result: yes, the first non-None (awaited) result wins.
    """
