"""Running one HTTP operation on the generated schema, with graphql-core directly.

Strawberry's ``Schema.execute`` runs every request through its extension machinery
(context managers per hook and extension, a cache key hashing the whole document for
validation); measured on a ``getTodo`` here, that was ~180 µs of a ~450 µs request. HTTP
requests take this shorter path instead, with the same steps and the same limits:

1. parse, with the token limit, cached by document text (like ``ParserCache``);
2. validate, with the limit rules, cached by document text (like ``ValidationCache``);
3. check the operation type against what the HTTP method allows;
4. execute with graphql-core on the schema Strawberry built, with Strawberry's
   execution context class, so resolvers behave the same (with two cheaper checks
   graphql-core runs per field: see :func:`_resolve_field` and :func:`_is_awaitable`);
5. shape every error (:mod:`baas.graphql.error_shaping`).

WebSocket operations (and subscriptions) run through Strawberry with
:class:`~baas.graphql.guard.OperationGuard`, which applies the same rules.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Awaitable, Collection
from dataclasses import dataclass
from decimal import Decimal
from types import CoroutineType
from typing import Any, TypeGuard

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    default_field_resolver,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
)
from graphql.language import OperationType
from strawberry.schema.schema import validate_document

from baas.graphql.context import RequestContext
from baas.graphql.error_shaping import shape_in_place
from baas.graphql.schema import BaasSchema

__all__ = ["OperationNotAllowedError", "Outcome", "UnknownOperationError", "run_operation"]

_PARSED_MAX = 256


class OperationNotAllowedError(Exception):
    """The operation's type (e.g. a mutation) is not allowed for this request (a GET)."""

    def __init__(self, operation: OperationType) -> None:
        super().__init__(operation.value)
        self.operation = operation


class UnknownOperationError(Exception):
    """``operationName`` names no operation of the document (or is needed and missing)."""


@dataclass(frozen=True)
class Outcome:
    """The result, and whether it is a request error (nothing was executed)."""

    result: ExecutionResult
    request_error: bool


class _Parsed:
    """A bounded LRU of parsed documents by text (threat: memory growth by new texts)."""

    def __init__(self) -> None:
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()

    def get(self, query: str, max_tokens: int) -> DocumentNode:
        document = self._documents.get(query)
        if document is None:
            document = parse(query, max_tokens=max_tokens)
            self._documents[query] = document
            if len(self._documents) > _PARSED_MAX:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(query)
        return document


_PARSED: dict[int, _Parsed] = {}

# What store items and resolver results are made of: never awaitable.
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), dict, list, tuple, Decimal})


def _is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """graphql-core's check, run on every field's value, with plain values answered first."""
    cls = type(value)
    if cls in _PLAIN_TYPES:
        return False
    return cls is CoroutineType or hasattr(value, "__await__")


def _resolve_field(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """graphql-core's default resolver, with the plain dict of an item looked up first.

    Most fields of a list are attributes of items: the default resolver's
    ``isinstance(source, Mapping)`` (an ABC check) was a tenth of such a request.
    """
    if type(source) is dict:
        value = source.get(info.field_name)
        return value(info, **args) if callable(value) else value
    return default_field_resolver(source, info, **args)


async def run_operation(
    schema: BaasSchema,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: RequestContext,
    allowed: Collection[OperationType],
) -> Outcome:
    """Parse, validate, check and execute one operation (see the module docstring)."""
    parsed = _PARSED.setdefault(id(schema), _Parsed())
    try:
        document = parsed.get(query, schema.max_tokens)
    except GraphQLSyntaxError as syntax_error:
        return _request_error([syntax_error], context)
    errors = schema.validated.get(query)
    if errors is None:
        # Strawberry's validation: the spec's rules, Strawberry's own (oneOf inputs), ours.
        errors = validate_document(
            schema._schema, document, (*specified_rules, *schema.validation_rules)
        )
        if schema.config.disable_field_suggestions:
            for validation_error in errors:
                # "Did you mean ..." would spell the schema out.
                schema.remove_field_suggestion(validation_error)
        schema.validated.put(query, errors)
    if errors:
        return _request_error(list(errors), context)
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        raise UnknownOperationError()
    if operation.operation not in allowed:
        raise OperationNotAllowedError(operation.operation)
    result = execute(
        schema._schema,
        document,
        variable_values=variables,
        context_value=context,
        operation_name=operation_name,
        field_resolver=_resolve_field,
        executor_class=schema.execution_context_class,
        is_awaitable=_is_awaitable,
    )
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, ExecutionResult):  # incremental delivery is not enabled
        raise TypeError("unexpected incremental result")
    if result.errors:
        shape_in_place(result.errors, context.request_id)
    # Variables that do not coerce produce no data and no paths: a request error.
    request_error = (
        result.data is None
        and bool(result.errors)
        and not any(error.path for error in result.errors or ())
    )
    return Outcome(result, request_error)


def _request_error(errors: list[GraphQLError], context: RequestContext) -> Outcome:
    shape_in_place(errors, context.request_id)
    return Outcome(ExecutionResult(None, errors), request_error=True)
