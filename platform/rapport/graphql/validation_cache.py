"""Validation results kept by document identity.

The parse cache (``document_limits.parse_within_limits``) hands the same document object for the same
text, so a validated document is known by its identity: no hashing of the whole syntax tree per request,
as a cache keyed by the document's value does (graphql-core hashes every node, recursively). The entry
keeps the document itself, so its identity cannot be reused by another while the entry lives.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import strawberry.schema.schema as strawberry_schema
from strawberry.extensions import SchemaExtension

CACHE_SIZE = 256
_results: OrderedDict[tuple[int, int, tuple[Any, ...]], tuple[Any, Any]] = OrderedDict()


class DocumentValidationCache(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        schema, document = execution.schema._schema, execution.graphql_document
        rules = tuple(execution.validation_rules)
        key = (id(schema), id(document), rules)
        found = _results.get(key)
        if found is not None and found[0] is document:
            _results.move_to_end(key)
            errors = found[1]
        else:
            errors = strawberry_schema.validate_document(schema, document, rules)
            _results[key] = (document, errors)
            if len(_results) > CACHE_SIZE:
                _results.popitem(last=False)
        execution.pre_execution_errors = errors
        yield
