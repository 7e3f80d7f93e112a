"""Route reads to the compiled read path (rapport.compiler); what it does not serve runs through the
resolvers. In development, a request with the header ``X-Rapport-Read-Path: true`` gets
``extensions.readPath``: which path served each root field (``"compiled"`` or ``"resolvers"``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from rapport.compiler.execute import RESOLVERS, run_compiled


class CompiledReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        result = await run_compiled(self.execution_context)
        if result is not None:
            self.execution_context.result = result
        yield

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        settings = getattr(context, "settings", None)
        if settings is None or settings.is_production or not _asked(context):
            return {}
        served = getattr(context, "loaders", {}).get("#readPath")
        if served is None:
            document = self.execution_context.graphql_document
            if document is None:
                return {}
            served = {}
            for definition in document.definitions:
                if isinstance(definition, OperationDefinitionNode) and definition.operation.value == "query":
                    for selection in definition.selection_set.selections:
                        key = getattr(selection, "alias", None) or getattr(selection, "name", None)
                        if key is not None:
                            served[key.value] = RESOLVERS
        return {"readPath": served} if served else {}


READ_PATH_HEADER = "x-rapport-read-path"


def _asked(context: Any) -> bool:
    request = getattr(context, "request", None)
    headers = getattr(request, "headers", None)
    return headers is not None and headers.get(READ_PATH_HEADER, "").lower() == "true"
