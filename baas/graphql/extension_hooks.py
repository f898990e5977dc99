"""The schema extensions' side of one operation: its state, and the hooks that run.

:class:`~baas.graphql.pipeline.OperationPipeline` runs its steps inside these hooks.
With extensions, the state is Strawberry's own ``ExecutionContext`` and the hooks are
Strawberry's ``SchemaExtensionsRunner`` (so a hook sees and may change what Strawberry
lets it: the document, the validation errors, the result, the variables, the rules);
without, a small state of the same attribute names and hooks that do nothing, which
cost next to nothing on the hot path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Any, Protocol

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError
from graphql.execution import MiddlewareManager
from graphql.language import OperationType
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType as StrawberryOperationType

__all__ = ["ExtensionHooks", "Hooks", "OperationState", "PlainState", "begin"]


class OperationState(Protocol):
    """What the steps read and write: Strawberry's ``ExecutionContext`` when extensions
    look at it, a small :class:`PlainState` otherwise (the same attribute names)."""

    query: str | None
    variables: dict[str, Any] | None
    validation_rules: tuple[type[ASTValidationRule], ...]
    graphql_document: DocumentNode | None
    pre_execution_errors: list[GraphQLError] | None
    result: Any


class PlainState:
    """The state of one operation that no extension looks at."""

    __slots__ = (
        "graphql_document",
        "pre_execution_errors",
        "query",
        "result",
        "validation_rules",
        "variables",
    )

    def __init__(
        self,
        query: str,
        variables: dict[str, Any] | None,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> None:
        self.query: str | None = query
        self.variables = variables
        self.validation_rules = rules
        self.graphql_document: DocumentNode | None = None
        self.pre_execution_errors: list[GraphQLError] | None = None
        self.result: Any = None


class _NoHooks:
    """The hooks of a schema without extensions: each a context that does nothing."""

    middleware: MiddlewareManager | None = None
    _nothing = contextlib.nullcontext()

    def operation(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._nothing

    parsing = validation = executing = operation

    def on_stream_result(self, _result: Any) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._nothing

    async def results(self, _state: OperationState) -> dict[str, Any]:
        return {}


_NO_HOOKS = _NoHooks()


class ExtensionHooks:
    """The schema's extensions for one operation, driven by Strawberry's own runner."""

    def __init__(self, state: ExecutionContext, extensions: list[SchemaExtension]) -> None:
        self.runner = SchemaExtensionsRunner(state, extensions)
        resolving = [e for e in extensions if type(e).resolve is not SchemaExtension.resolve]
        self.middleware = MiddlewareManager(*resolving) if resolving else None

    def operation(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self.runner.operation()

    def parsing(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self.runner.parsing()

    def validation(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self.runner.validation()

    def executing(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self.runner.executing()

    def on_stream_result(self, result: Any) -> contextlib.AbstractAsyncContextManager[Any]:
        return self.runner.on_stream_result(result)

    async def results(self, state: OperationState) -> dict[str, Any]:
        assert isinstance(state, ExecutionContext)  # noqa: S101 - built with the hooks
        return await self.runner.get_extensions_results(state)


Hooks = _NoHooks | ExtensionHooks


def begin(
    schema: strawberry.Schema,
    *,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    operation_extensions: dict[str, Any] | None,
    context: Any,
    allowed: Collection[OperationType],
    rules: tuple[type[ASTValidationRule], ...],
    max_tokens: int,
) -> tuple[OperationState, Hooks]:
    """The state and hooks of one operation on ``schema`` (see the module docstring)."""
    if not schema.extensions:
        return PlainState(query, variables, rules), _NO_HOOKS
    state = ExecutionContext(
        query=query,
        schema=schema,
        allowed_operations={StrawberryOperationType(kind.value) for kind in allowed},
        context=context,
        variables=variables,
        validation_rules=rules,
        provided_operation_name=operation_name,
        operation_extensions=operation_extensions,
    )
    state.parse_options["max_tokens"] = max_tokens
    extensions = schema.get_extensions()
    for extension in extensions:
        extension.execution_context = state
    return state, ExtensionHooks(state, extensions)
