"""Hypothesis strategies for read operations over the core schema (``schema/schema.graphql``).

An operation has one or two root fields among customers, customer(id:), tickets, ticket(id:|number:),
interactions, node(id:), nodes(ids:), agents, departments and viewer; each selects a random subset of
its type's fields, related objects (owner, department, assignee, customer, agent, ticket, sla, address,
classification, activities) and nested connections (Customer.interactions, Customer.tickets,
Ticket.interactions) down to ``MAX_DEPTH``, with aliases (sometimes one field twice), named and inline
fragments, ``__typename``; lists take random ``where`` trees, ``orderBy`` keys and page sizes. Any
argument may be a literal or a variable (sent, sent as null, or declared and left out), since a read
path may cache a plan by which variables are present. Values come from ``Samples`` (real ids, names,
numbers of the demo data) so that filters match rows, plus values that match none.

Aliases are ``<field>_<n>``: an alias of ``remainingSeconds`` still starts with the field's name,
which is how ``same_answer`` recognises the one time-dependent field.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from rapport.services.demo_vocabulary import INTERACTION_SUBJECTS, TAGS
from tests.compiler.demo_world import Samples
from tests.compiler.operation_text import EnumValue, Field, Inline, Operation, Selection, Spread, Var

MAX_DEPTH = 3
PAGE_SIZES = (0, 1, 3, 20, 100)
NESTED_PAGE_SIZES = (None, 0, 1, 3)
PAGING = "paging"  # the alias of the pageInfo a test pages on with
REFUSED = (  # arguments a list refuses, with an error
    {"first": (101, "Int")}, {"last": (500, "Int")}, {"first": (-1, "Int")},
    {"after": ("not-a-cursor", "String")}, {"before": ("WyJ4Il0", "String")},
)

SCALARS = {
    "Customer": ("id", "name", "company", "title", "segment", "tier", "tags", "lastInteractionAt", "version",
                 "createdAt", "updatedAt", "email", "phone", "custom", "openTicketCount"),
    "Ticket": ("id", "number", "subject", "description", "status", "priority", "category", "tags",
               "satisfaction", "custom", "version", "createdAt", "updatedAt"),
    "Interaction": ("id", "channel", "direction", "subject", "body", "occurredAt", "durationSeconds",
                    "custom", "createdAt"),
    "Agent": ("id", "name", "email", "active"),
    "Department": ("id", "code", "name"),
    "TicketSla": ("policy", "firstResponseDueAt", "resolutionDueAt", "firstRespondedAt", "resolvedAt",
                  "firstResponseBreached", "resolutionBreached", "remainingSeconds", "calendar", "pausedSince"),
    "Address": ("line1", "line2", "city", "region", "postalCode", "country"),
    "Classification": ("segment", "tier", "tags", "classifiedAt"),
    "ClassificationReason": ("rule", "plugin", "explanation", "target", "value"),
    "TicketActivity": ("id", "kind", "at", "note", "fromStatus", "toStatus", "minutesSpent"),
    "PageInfo": ("hasNextPage", "hasPreviousPage", "startCursor", "endCursor"),
}
OBJECTS = {
    "Customer": {"owner": "Agent", "department": "Department", "address": "Address", "classification": "Classification"},
    "Ticket": {"customer": "Customer", "department": "Department", "assignee": "Agent", "sla": "TicketSla"},
    "Interaction": {"customer": "Customer", "agent": "Agent", "ticket": "Ticket"},
    "Agent": {"department": "Department"},
    "Classification": {"reasons": "ClassificationReason"},
    "TicketActivity": {"actor": "Agent"},
}
CONNECTIONS = {"Customer": {"interactions": "Interaction", "tickets": "Ticket"}, "Ticket": {"interactions": "Interaction"}}
NODE_TYPES = ("Customer", "Ticket", "Interaction", "Agent", "Department")

SEGMENTS = ("POTENTIAL", "EXISTING", "CHURNED")
TIERS = ("HIGH", "ORDINARY", "POTENTIAL")
STATUSES = ("NEW", "OPEN", "PENDING", "RESOLVED", "CLOSED")
PRIORITIES = ("LOW", "NORMAL", "HIGH", "URGENT")
CHANNELS = ("CALL", "EMAIL", "MEETING", "CHAT", "SMS", "VISIT", "OTHER")
SORTS = {
    "Customer": ("CREATED_AT", "UPDATED_AT", "NAME", "LAST_INTERACTION_AT", "TIER"),
    "Ticket": ("CREATED_AT", "UPDATED_AT", "PRIORITY", "SLA_DUE_AT"),
    "Interaction": ("OCCURRED_AT", "CREATED_AT"),
}
FILTER_TYPES = {"Customer": "CustomerFilter", "Ticket": "TicketFilter", "Interaction": "InteractionFilter"}
ORDER_TYPES = {"Customer": "CustomerOrder", "Ticket": "TicketOrder", "Interaction": "InteractionOrder"}
LIST_ROOTS = {"customers": "Customer", "tickets": "Ticket", "interactions": "Interaction"}


def enums(values: tuple[str, ...]) -> st.SearchStrategy[list[EnumValue]]:
    return st.lists(st.sampled_from(values).map(EnumValue), min_size=1, max_size=3, unique=True)


def string_filter(values: list[str], fragments: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """eq/ne/in/contains/startsWith/isNull; sometimes two operators together (all must hold)."""
    values = values or ["nothing-like-it"]
    one = st.one_of(
        st.builds(lambda v: {"eq": v}, st.sampled_from(values)),
        st.builds(lambda v: {"ne": v}, st.sampled_from(values)),
        st.builds(lambda v: {"in": v}, st.lists(st.sampled_from(values), min_size=1, max_size=3)),
        st.builds(lambda v: {"contains": v}, st.sampled_from(fragments)),
        st.builds(lambda v: {"startsWith": v}, st.sampled_from(fragments)),
        st.builds(lambda v: {"isNull": v}, st.booleans()),
    )
    return st.one_of(one, st.builds(lambda a, b: {**a, **b}, one, one))


def time_filter(samples: Samples) -> st.SearchStrategy[dict[str, Any]]:
    times = st.sampled_from(samples.times())
    return st.one_of(
        st.builds(lambda t: {"gte": t}, times), st.builds(lambda t: {"lt": t}, times),
        st.builds(lambda a, b: {"gte": a, "lt": b}, times, times), st.builds(lambda t: {"lte": t}, times),
        st.builds(lambda t: {"gt": t}, times), st.builds(lambda t: {"eq": t}, times),
        st.builds(lambda v: {"isNull": v}, st.booleans()),
    )


def id_filter(ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda v: {"eq": v}, st.sampled_from(ids)),
        st.builds(lambda v: {"in": v}, st.lists(st.sampled_from(ids), min_size=1, max_size=4)),
        st.builds(lambda v: {"isNull": v}, st.booleans()),
    )


def leaves(node_type: str, samples: Samples) -> st.SearchStrategy[dict[str, Any]]:
    """One condition of a ``where`` of the list of ``node_type``."""
    codes = st.lists(st.sampled_from(samples.department_codes), min_size=1, max_size=2, unique=True)
    if node_type == "Customer":
        name_parts = ["a", "an", "Li", "Mar", "王", "é", "zz"] + [n.split()[0] for n in samples.names[:3]]
        return st.one_of(
            st.builds(lambda v: {"segment": v}, enums(SEGMENTS)), st.builds(lambda v: {"tier": v}, enums(TIERS)),
            st.builds(lambda v: {"department": v}, codes),
            st.builds(lambda v: {"name": v}, string_filter(samples.names, name_parts)),
            st.builds(lambda v: {"company": v}, string_filter(samples.companies, ["a", "Gmb", "Ltd", "co"])),
            st.builds(lambda v: {"email": v}, string_filter(samples.emails, ["a", "example.com", ".1", "@", "MAR"])),
            st.builds(lambda v: {"phone": v}, string_filter(samples.phones, ["+", "+49", "+86", "+1", "0"])),
            st.builds(lambda v: {"search": v}, st.sampled_from(["a", "example", "+49", "Li", "gmbh", "zzz"])),
            st.builds(lambda v: {"createdAt": v}, time_filter(samples)),
            st.builds(lambda v: {"lastInteractionAt": v}, time_filter(samples)),
            st.builds(lambda v: {"owner": v}, id_filter(samples.agents)),
            st.builds(lambda v: {"id": v}, id_filter(samples.customers)),
            st.builds(lambda v: {"tag": v}, st.sampled_from(TAGS)),
        )
    if node_type == "Ticket":
        return st.one_of(
            st.builds(lambda v: {"status": v}, enums(STATUSES)), st.builds(lambda v: {"priority": v}, enums(PRIORITIES)),
            st.builds(lambda v: {"department": v}, codes),
            st.builds(lambda v: {"number": v}, string_filter(samples.ticket_numbers, ["T-", "T-0001", "9", "t-0"])),
            st.builds(lambda v: {"category": v}, string_filter(samples.categories, ["bill", "tech", "o"])),
            st.builds(lambda v: {"customer": v}, id_filter(samples.customers)),
            st.builds(lambda v: {"assignee": v}, id_filter(samples.agents)),
            st.builds(lambda v: {"breached": v}, st.booleans()),
            st.builds(lambda v: {"slaDueAt": v}, time_filter(samples)),
            st.builds(lambda v: {"createdAt": v}, time_filter(samples)),
            st.builds(lambda v: {"search": v}, st.sampled_from(["refund", "login", "T-000", "the", "zzz"])),
            st.builds(lambda v: {"tag": v}, st.sampled_from(TAGS)),
        )
    return st.one_of(
        st.builds(lambda v: {"customer": v}, id_filter(samples.customers)),
        st.builds(lambda v: {"agent": v}, id_filter(samples.agents)),
        st.builds(lambda v: {"ticket": v}, id_filter(samples.tickets)),
        st.builds(lambda v: {"channel": v}, enums(CHANNELS)),
        st.builds(lambda v: {"direction": EnumValue(v)}, st.sampled_from(("INBOUND", "OUTBOUND"))),
        st.builds(lambda v: {"occurredAt": v}, time_filter(samples)),
        st.builds(lambda v: {"durationSeconds": v}, st.one_of(
            st.builds(lambda n: {"gte": n}, st.sampled_from((0, 60, 600, 3600))),
            st.builds(lambda n: {"lt": n}, st.sampled_from((60, 900))),
            st.builds(lambda b: {"isNull": b}, st.booleans()))),
        st.builds(lambda v: {"search": v}, st.sampled_from([INTERACTION_SUBJECTS[0], "call", "review", "zzz"])),
    )


def wheres(node_type: str, samples: Samples) -> st.SearchStrategy[dict[str, Any]]:
    """A filter tree: leaves combined with and/or/not, or a leaf next to a not."""
    leaf = leaves(node_type, samples)
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(lambda parts: {"and": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"or": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
        st.builds(lambda mine, part: {**mine, "not": part}, leaf, inner),
    ), max_leaves=5)


def orders(node_type: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    key = st.builds(
        lambda field, direction: {"field": EnumValue(field), **({"direction": EnumValue(direction)} if direction else {})},
        st.sampled_from(SORTS[node_type]), st.sampled_from((None, "ASC", "DESC")))
    return st.lists(key, min_size=1, max_size=2, unique_by=lambda order: order["field"])


class Builder:
    """Draws one operation: hands out unique aliases, variable names and fragment names."""

    def __init__(self, draw: Any, samples: Samples) -> None:
        self.draw = draw
        self.samples = samples
        self.count = 0
        self.fragments: dict[str, tuple[str, list[Selection]]] = {}

    def fresh(self, name: str) -> str:
        self.count += 1
        return f"{name}_{self.count}"

    def arg(self, value: Any, graphql_type: str) -> Any:
        """``value`` as a literal or, one time in three, as a variable (a null one may be left out)."""
        if not self.draw(st.integers(0, 2)) == 0:
            return value
        omitted = value is None and self.draw(st.booleans())
        return Var(self.fresh("v"), graphql_type, value, omitted)

    def args(self, pairs: dict[str, tuple[Any, str]]) -> dict[str, Any]:
        """Arguments from (value, type) pairs: a None value is left out when written as a literal."""
        result = {}
        for name, (value, graphql_type) in pairs.items():
            written = self.arg(value, graphql_type)
            if written is not None:
                result[name] = written
        return result

    # ---------------------------------------------------------------- selections

    def selection(self, type_name: str, depth: int) -> list[Selection]:
        draw = self.draw
        chosen: list[Selection] = []
        for name in draw(st.lists(st.sampled_from(SCALARS[type_name]), min_size=1, max_size=5, unique=True)):
            chosen.append(Field(name, alias=self.fresh(name) if draw(st.integers(0, 5)) == 0 else None))
            if draw(st.integers(0, 9)) == 0:  # the same field again, under another name
                chosen.append(Field(name, alias=self.fresh(name)))
        if depth < MAX_DEPTH:
            related = OBJECTS.get(type_name, {})
            if related:
                for name in draw(st.lists(st.sampled_from(sorted(related)), max_size=2, unique=True)):
                    # Agent.department is nullable, Customer's and Ticket's are not: side by side in node
                    # fragments they would conflict (a validation error), so the agent's is always aliased.
                    aliased = type_name == "Agent" or draw(st.integers(0, 5)) == 0
                    alias = self.fresh(name) if aliased else None
                    chosen.append(Field(name, alias=alias, children=self.selection(related[name], depth + 1)))
            nested = CONNECTIONS.get(type_name, {})
            if nested and depth < MAX_DEPTH - 1 and draw(st.integers(0, 2)) == 0:
                name = draw(st.sampled_from(sorted(nested)))
                chosen.append(self.nested_connection(type_name, name, nested[name], depth + 1))
        if draw(st.integers(0, 2)) == 0:
            chosen += self.favourite(type_name, depth, {c.key for c in chosen if isinstance(c, Field)})
        if draw(st.integers(0, 9)) == 0:
            chosen.insert(0, Field("__typename"))
        return self.wrap(type_name, chosen)

    def favourite(self, type_name: str, depth: int, taken: set[str]) -> list[Selection]:
        """A field where the paths most likely part: personal fields (masked or withheld by persona) and
        the SLA's remainingSeconds (computed from the request's time)."""
        if type_name == "Customer":
            return [Field(name) for name in ("email", "phone") if name not in taken]
        if type_name == "Ticket" and depth < MAX_DEPTH and "sla" not in taken:
            return [Field("sla", children=[Field("remainingSeconds"), Field("resolutionBreached"), Field("pausedSince")])]
        if type_name == "TicketSla" and "remainingSeconds" not in taken:
            return [Field("remainingSeconds")]
        return []

    def wrap(self, type_name: str, chosen: list[Selection]) -> list[Selection]:
        """Sometimes move the tail of a selection into an inline fragment or a named fragment."""
        how = self.draw(st.integers(0, 6))
        if how > 1 or len(chosen) < 2:
            return chosen
        cut = self.draw(st.integers(1, len(chosen) - 1))
        head, tail = chosen[:cut], chosen[cut:]
        if how == 0:
            on = type_name if self.draw(st.booleans()) else None
            return head + [Inline(on, tail)]
        name = self.fresh("Fragment").replace("_", "")
        self.fragments[name] = (type_name, tail)
        return head + [Spread(name)]

    def connection(self, node_type: str, depth: int, paging: bool) -> list[Selection]:
        """nodes, edges { cursor node }, pageInfo and totalCount, at least one of them."""
        draw = self.draw
        parts = draw(st.lists(st.sampled_from(("nodes", "edges", "pageInfo", "totalCount")), min_size=1,
                              max_size=4, unique=True))
        chosen: list[Selection] = []
        for part in parts:
            if part == "nodes":
                chosen.append(Field("nodes", children=self.selection(node_type, depth)))
            elif part == "edges":
                inner: list[Selection] = [Field("node", children=self.selection(node_type, depth))]
                if draw(st.booleans()):
                    inner.insert(0, Field("cursor"))
                chosen.append(Field("edges", children=inner))
            elif part == "pageInfo":
                fields = draw(st.lists(st.sampled_from(SCALARS["PageInfo"]), min_size=1, max_size=4, unique=True))
                chosen.append(Field("pageInfo", children=[Field(name) for name in fields]))
            else:
                chosen.append(Field("totalCount"))
        if paging:
            chosen.append(Field("pageInfo", alias=PAGING, children=[Field(name) for name in SCALARS["PageInfo"]]))
        return chosen

    def nested_connection(self, parent: str, name: str, node_type: str, depth: int) -> Field:
        """Customer.interactions/tickets (first, after, where, orderBy) or Ticket.interactions (first, after)."""
        draw = self.draw
        pairs: dict[str, tuple[Any, str]] = {"first": (draw(st.sampled_from(NESTED_PAGE_SIZES)), "Int")}
        if parent == "Customer":
            if draw(st.booleans()):
                pairs["where"] = (draw(wheres(node_type, self.samples)), FILTER_TYPES[node_type])
            if draw(st.booleans()):
                pairs["orderBy"] = (draw(orders(node_type)), f"[{ORDER_TYPES[node_type]}!]")
        return Field(name, alias=self.fresh(name), args=self.args(pairs), children=self.connection(node_type, depth, False))

    # ---------------------------------------------------------------- roots

    def root(self, name: str, paging: bool = False) -> Field:
        draw, samples = self.draw, self.samples
        alias = self.fresh(name) if draw(st.integers(0, 3)) == 0 else None
        if name in LIST_ROOTS:
            node_type = LIST_ROOTS[name]
            pairs: dict[str, tuple[Any, str]] = {}
            if draw(st.integers(0, 4)) < 3:
                pairs["where"] = (draw(wheres(node_type, samples)), FILTER_TYPES[node_type])
            if draw(st.booleans()):
                pairs["orderBy"] = (draw(orders(node_type)), f"[{ORDER_TYPES[node_type]}!]")
            size = draw(st.sampled_from((None, *PAGE_SIZES)))
            backward = not paging and draw(st.integers(0, 3)) == 0
            pairs["last" if backward else "first"] = (size, "Int")
            if not paging and draw(st.integers(0, 11)) == 0:  # refused: the errors must agree too
                pairs.update(draw(st.sampled_from(REFUSED)))
            return Field(name, alias=alias, args=self.args(pairs), children=self.connection(node_type, 1, paging))
        if name == "customer":
            ids = samples.customers + [samples.tickets[0], "not-an-id"]
            args = self.args({"id": (draw(st.sampled_from(ids)), "ID!")})
            return Field(name, alias=alias, args=args, children=self.selection("Customer", 1))
        if name == "ticket":
            how = draw(st.sampled_from(("id", "number", "both")))
            pairs = {}
            if how != "number":
                pairs["id"] = (draw(st.sampled_from(samples.tickets)), "ID")
            if how != "id":
                pairs["number"] = (draw(st.sampled_from(samples.ticket_numbers)), "String")
            return Field(name, alias=alias, args=self.args(pairs), children=self.selection("Ticket", 1))
        if name == "node":
            args = self.args({"id": (draw(st.sampled_from(samples.all_ids())), "ID!")})
            return Field(name, alias=alias, args=args, children=self.node_selection())
        if name == "nodes":
            ids = draw(st.lists(st.sampled_from(samples.all_ids()), max_size=6))
            return Field(name, alias=alias, args=self.args({"ids": (ids, "[ID!]!")}), children=self.node_selection())
        if name == "agents":
            args = self.args({
                "first": (draw(st.sampled_from((None, *PAGE_SIZES))), "Int"),
                "after": (draw(st.sampled_from((None, *samples.agents))), "String"),
                "department": (draw(st.sampled_from((None, *samples.department_codes))), "String"),
            })
            return Field(name, alias=alias, args=args, children=self.selection("Agent", 1))
        if name == "departments":
            return Field(name, alias=alias, children=self.selection("Department", 1))
        return Field(name, alias=alias, children=self.viewer_selection())

    def node_selection(self) -> list[Selection]:
        chosen: list[Selection] = [Field("__typename"), Field("id")]
        for type_name in self.draw(st.lists(st.sampled_from(NODE_TYPES), min_size=1, max_size=5, unique=True)):
            chosen.append(Inline(type_name, self.selection(type_name, 1)))
        return chosen

    def viewer_selection(self) -> list[Selection]:
        draw = self.draw
        chosen: list[Selection] = []
        if draw(st.booleans()):
            chosen.append(Field("roles"))
        if draw(st.booleans()) or not chosen:
            chosen.append(Field("agent", children=self.selection("Agent", 1)))
        for _ in range(draw(st.integers(0, 2))):
            args = self.args({
                "resource": (draw(st.sampled_from(("customer", "customer.phone", "ticket", "report.ticketVolume"))), "String!"),
                "action": (draw(st.sampled_from(("read", "create", "manage", "delete"))), "String!"),
                "department": (draw(st.sampled_from((None, "sales", "support"))), "String"),
            })
            chosen.append(Field("can", alias=self.fresh("can"), args=args))
        return chosen


ROOTS = ("customers", "customer", "tickets", "ticket", "interactions", "node", "nodes", "agents", "departments", "viewer")


@st.composite
def read_operations(draw: Any, samples: Samples) -> tuple[Operation, str | None]:
    """An operation of one or two root fields, and the response key of a list root to page on (None:
    no paging). The paged root selects ``paging: pageInfo { ... }`` and pages forward (first)."""
    builder = Builder(draw, samples)
    names = draw(st.lists(st.sampled_from(ROOTS), min_size=1, max_size=2))
    pageable = [i for i, name in enumerate(names) if name in LIST_ROOTS]
    paged = draw(st.sampled_from(pageable)) if pageable and draw(st.booleans()) else None
    roots = [builder.root(name, paging=i == paged) for i, name in enumerate(names)]
    seen: set[str] = set()
    for root in roots:  # two roots of one name need distinct response keys
        if root.key in seen:
            root.alias = builder.fresh(root.name)
        seen.add(root.key)
    return Operation(roots, builder.fragments), roots[paged].key if paged is not None else None
