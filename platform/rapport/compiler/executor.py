"""The schema's graphql-core executor, taught what the compiled read path already answered.

- A subscription event that is a ``CompiledEvent`` is its own answer: no resolver runs on it.
- An operation whose root fields were partly compiled (``execute.run_compiled`` left their answers in the
  context under ``PRECOMPUTED``) runs the others through the resolvers and takes those answers as they are.
"""

from __future__ import annotations

from typing import Any

from graphql import ExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from rapport.compiler.events import CompiledEvent
from rapport.compiler.execute import PRECOMPUTED


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    def execute_operation(self, serially: bool | None = None) -> Any:
        if isinstance(self.root_value, CompiledEvent):
            return ExecutionResult(data={self.root_value.key: self.root_value.data})
        return super().execute_operation(serially)

    def execute_field(self, parent_type: Any, source: Any, field_details_list: Any, path: Any, position_context: Any) -> Any:
        if path.prev is None:
            answered = getattr(self.context_value, "loaders", {}).get(PRECOMPUTED)
            if answered is not None and path.key in answered:
                return answered[path.key]
        return super().execute_field(parent_type, source, field_details_list, path, position_context)
