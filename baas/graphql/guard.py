"""One Strawberry extension for what every operation needs before and after it runs.

- the limits: ``max_tokens`` for the parser (threat: parser CPU) and the extra
  validation rules (depth, aliases, no introspection outside dev);
- validation results cached by document text, like Strawberry's ``ValidationCache``
  but without hashing the whole syntax tree on every request (the cache key of
  ``ValidationCache``; measured here at ~80 µs per request, a sixth of a ``getTodo``);
- every error shaped on the way out (:mod:`baas.graphql.error_shaping`).

Strawberry pays a few microseconds per extension and hook on every request, so these
are one extension rather than four. ``ParserCache`` caches parsing beside it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import ASTValidationRule, GraphQLError, validate
from strawberry.extensions import SchemaExtension

from baas.graphql.error_shaping import shape_in_place

__all__ = ["OperationGuard", "ValidationResults"]


class ValidationResults:
    """A bounded LRU of validation errors by document text (one per schema)."""

    def __init__(self, maxsize: int = 256) -> None:
        self._maxsize = maxsize
        self._results: OrderedDict[str, list[GraphQLError]] = OrderedDict()

    def get(self, query: str) -> list[GraphQLError] | None:
        errors = self._results.get(query)
        if errors is not None:
            self._results.move_to_end(query)
        return errors

    def put(self, query: str, errors: list[GraphQLError]) -> None:
        # Threat: unbounded memory from ever-new documents; the oldest entry goes.
        self._results[query] = errors
        if len(self._results) > self._maxsize:
            self._results.popitem(last=False)


class OperationGuard(SchemaExtension):
    """Limits, cached validation and error shaping (see the module docstring)."""

    def __init__(
        self,
        max_tokens: int,
        rules: tuple[type[ASTValidationRule], ...],
        validated: ValidationResults,
    ) -> None:
        self.max_tokens = max_tokens
        self.rules = rules
        self.validated = validated
        self._streamed = False

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        yield
        if self._streamed:
            return
        # Errors found before execution may live only in ``pre_execution_errors``.
        for errors in (getattr(context.result, "errors", None), context.pre_execution_errors):
            if errors:
                self._shape(errors)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        document = context.graphql_document
        if query is not None and document is not None:
            errors = self.validated.get(query)
            if errors is None:
                errors = validate(context.schema._schema, document, context.validation_rules)
                self.validated.put(query, errors)
            # A copy: Strawberry may add to the list, the cached one must stay as it is.
            context.pre_execution_errors = list(errors)
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._streamed = True
        errors = getattr(result, "errors", None)
        if errors:
            self._shape(errors)
        yield None

    def _shape(self, errors: list[GraphQLError]) -> None:
        shape_in_place(errors, getattr(self.execution_context.context, "request_id", None))
