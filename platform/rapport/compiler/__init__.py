"""The compiled read path: one SQL statement per root field that builds the field's JSON, with the row
scopes and field masking of the viewer's plan inside it (ARCHITECTURE.md §2a).

    selection.py   the operation's fields, fragments and aliases as a tree, arguments coerced
    where.py       row scopes and filters (the same tortoise conditions as the resolvers) as SQL text
    keyset.py      orderings and cursors as ORDER BY and keyset predicates
    privacy.py     per-row field modes (full, masked, hidden) as CASE expressions
    dialect.py     what differs between SQLite and PostgreSQL (sqlite.py, postgres.py)
    build.py       objects, relations and connections as SQL, and the post-pass that finishes them
    computed.py    values only Python can compute (the business-time SLA fields)
    roots.py       which root fields compile, and how
    execute.py     bind, run one statement per root field, shape the result

Anything the compiler does not cover raises ``NotCompiled``; the operation then runs through the
resolvers, which stay the reference (tests/compiler/test_differential.py holds the two to the same answers).
"""


class NotCompiled(Exception):
    """This operation (or one of its fields) is served by the resolvers."""


class ResolversAnswerWithAnError(NotCompiled):
    """The resolvers answer this root field with an error (FORBIDDEN, a bad argument): the whole operation
    runs through them, so that what the error does to its siblings stays exactly theirs."""
