"""The one way a GraphQL operation runs, whichever transport brought it.

HTTP (:mod:`baas.graphql.http`) and WebSocket (:mod:`baas.graphql.websocket`) hand every
operation to :class:`OperationPipeline`, so both get the same caches, limits, error codes
and extensions:

0. **resolve** a persisted query (:mod:`baas.graphql.persisted_queries`): the hash of
   ``extensions.persistedQuery`` stands for its document; in allow-list mode, only the
   operator's documents pass;
1. **parse** with the token limit (threat: parser CPU), cached by document text;
2. **validate** with the spec's rules, Strawberry's, and the limits (depth, aliases, no
   introspection outside dev), cached by document text;
3. **check** the operation type against what the transport allows (HTTP GET: queries;
   POST: queries and mutations; WebSocket: subscriptions too), and its cost against the
   cost limits (:mod:`baas.graphql.query_budget`: per request, and the caller's budget
   per minute shared by every API process, reserved before anything runs);
4. **execute** with graphql-core on the schema Strawberry built, with
   :class:`~baas.graphql.executor.PlainFieldsExecutor` (native resolvers, plain model
   fields completed in one step);
5. **register** a client's persisted query, once its document has parsed and validated;
6. **shape** every error (:mod:`baas.graphql.error_shaping`): a stable code, nothing
   internal, the unexpected logged once with the request id.

Outside dev, suggestions ("Did you mean 'title'?") are left out of every message, from
validation and from variable coercion alike: they would spell out the field, argument,
input field, enum value and type names that introspection keeps to itself.

**Extensions.** Strawberry extensions given to the schema
(``graphql_routes(..., extensions=[...])``) run here, on both transports, with
Strawberry's hooks in Strawberry's order: ``on_operation`` around everything,
``on_parse``, ``on_validate``, ``on_execute``, ``resolve`` (as graphql-core middleware,
around every field), ``on_stream_result`` around each result of a WebSocket operation,
and ``get_results`` into the response's ``extensions``. A hook may do what Strawberry
lets it do with the execution context (set the document, the validation errors or the
result; change variables or validation rules). Errors are shaped after the extensions
have seen them, so an error reporter sees the original exception. A schema without
extensions pays for none of this: one set of steps, with hooks that do nothing
(:mod:`baas.graphql.extension_hooks`).
"""

from __future__ import annotations

import contextlib
import inspect
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    subscribe,
    validate,
)
from graphql.language import OperationType
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from auth.rules import CallerKind
from auth.token_buckets import BucketStore
from baas.graphql.context import RequestContext
from baas.graphql.error_shaping import mark_bad_user_input, shape_in_place
from baas.graphql.errors import GraphQLApiError
from baas.graphql.executor import PlainFieldsExecutor, is_awaitable, resolve_field
from baas.graphql.extension_hooks import Hooks, OperationState, begin
from baas.graphql.limits import GraphQLLimits
from baas.graphql.persisted_queries import PersistedQueries, Resolved
from baas.graphql.query_budget import CostBudget, QueryTooCostlyError
from baas.graphql.query_cost import operation_cost
from baas.graphql.schema import core_schema, limit_rules
from storage.errors import StorageError

__all__ = [
    "ALL_OPERATIONS",
    "OperationNotAllowedError",
    "OperationPipeline",
    "OperationRequest",
    "Outcome",
    "UnknownOperationError",
]

ALL_OPERATIONS = frozenset(OperationType)
_CACHED = 256  # documents (and their validation results) kept per pipeline
_V = TypeVar("_V")


class OperationNotAllowedError(Exception):
    """The operation's type (e.g. a mutation) is not allowed on this transport (a GET)."""

    def __init__(self, operation: OperationType) -> None:
        super().__init__(operation.value)
        self.operation = operation


class UnknownOperationError(GraphQLApiError):
    """``operationName`` names no operation of the document (or is needed and missing)."""

    code = "BAD_REQUEST"

    def __init__(self) -> None:
        super().__init__("operationName does not name one operation of the document.")


@dataclass(frozen=True, slots=True)
class OperationRequest:
    """What a client sends for one operation (either transport)."""

    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One result, and whether it is a request error (nothing was executed)."""

    result: ExecutionResult
    request_error: bool


class _Bounded(Generic[_V]):
    """A bounded LRU by document text (threat: memory growth by ever-new documents)."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, _V] = OrderedDict()

    def get(self, key: str) -> _V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: _V) -> None:
        self._entries[key] = value
        if len(self._entries) > _CACHED:
            self._entries.popitem(last=False)


class OperationPipeline:
    """Parse, validate, check, execute and shape one operation (module docstring)."""

    def __init__(
        self,
        schema: strawberry.Schema,
        limits: GraphQLLimits,
        *,
        is_dev: bool,
        buckets: BucketStore,
        persisted: PersistedQueries | None = None,
    ) -> None:
        self.schema = schema
        self.persisted = persisted
        self.core: GraphQLSchema = core_schema(schema)
        self.max_tokens = limits.max_tokens
        self.rules: tuple[type[ASTValidationRule], ...] = (
            *specified_rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
            *limit_rules(limits, is_dev=is_dev),
        )
        # "Did you mean ...?" would spell the schema out where introspection is off.
        self.hide_suggestions = not is_dev
        self.max_cost = limits.max_cost
        if limits.cost_per_minute > 0:  # one request can never cost more than the budget
            self.max_cost = min(self.max_cost or limits.cost_per_minute, limits.cost_per_minute)
        self.page = limits.page
        self.budget = CostBudget(limits.cost_per_minute, buckets)
        self._documents: _Bounded[DocumentNode] = _Bounded()
        self._validated: _Bounded[list[GraphQLError]] = _Bounded()

    async def execute(
        self,
        request: OperationRequest,
        context: RequestContext,
        allowed: Collection[OperationType],
    ) -> Outcome:
        """Run a query or mutation (``allowed`` says which); one outcome.

        :class:`OperationNotAllowedError`, :class:`UnknownOperationError` and
        :class:`~baas.graphql.persisted_queries.PersistedQueryError` are for the transport
        to answer in its own terms.
        """
        resolved = await self._resolve(request, context)
        request = resolved.request
        state, hooks = self._begin(request, context, allowed)
        request_error = True
        try:
            async with hooks.operation():
                operation = await self._prepare(state, hooks, resolved, allowed)
                if operation is not None and await self._charged(state, operation, context):
                    request_error = await self._execute(state, hooks, request, context)
        except (OperationNotAllowedError, UnknownOperationError):
            raise
        except Exception as exc:  # noqa: BLE001 - an extension's hook failed: masked below
            state.result, request_error = ExecutionResult(None, [_as_graphql_error(exc)]), False
        return await self._finish(state, hooks, context, request_error=request_error)

    async def stream(
        self, request: OperationRequest, context: RequestContext
    ) -> AsyncGenerator[Outcome, None]:
        """Run any operation (WebSocket): one outcome, or one per subscription event.

        A first outcome that is a request error is the only one. A query or mutation
        passes the hooks as over HTTP (its results are taken once the operation hook is
        done); a subscription's events are results of an operation still open.
        """
        resolved = await self._resolve(request, context)
        request = resolved.request
        state, hooks = self._begin(request, context, ALL_OPERATIONS)
        request_error = True
        async with hooks.operation():
            operation = await self._prepare(state, hooks, resolved, ALL_OPERATIONS)
            if operation is not None and not await self._charged(state, operation, context):
                operation = None
            if operation is not None and operation.operation == OperationType.SUBSCRIPTION:
                async for event in self._events(state, hooks, request, context):
                    async with hooks.on_stream_result(event.result):
                        yield event
                return
            if operation is not None:
                request_error = await self._execute(state, hooks, request, context)
        outcome = await self._finish(state, hooks, context, request_error=request_error)
        async with hooks.on_stream_result(outcome.result):
            yield outcome

    async def _resolve(self, request: OperationRequest, context: RequestContext) -> Resolved:
        if self.persisted is None:
            return Resolved(request)
        return await self.persisted.resolve(request, context.caller)

    def _begin(
        self,
        request: OperationRequest,
        context: RequestContext,
        allowed: Collection[OperationType],
    ) -> tuple[OperationState, Hooks]:
        return begin(
            self.schema,
            query=request.query,
            variables=request.variables,
            operation_name=request.operation_name,
            operation_extensions=request.extensions,
            context=context,
            allowed=allowed,
            rules=self.rules,
            max_tokens=self.max_tokens,
        )

    async def _prepare(
        self,
        state: OperationState,
        hooks: Hooks,
        resolved: Resolved,
        allowed: Collection[OperationType],
    ) -> OperationDefinitionNode | None:
        """Parse, validate and check; the operation, or None (``state.result`` says why).

        A client's persisted query is registered here, once it is known to be valid.
        """
        request = resolved.request
        parsed_here = False
        async with hooks.parsing():
            if state.graphql_document is None:  # an on_parse hook may have set it
                try:
                    state.graphql_document = self._parse(state.query or "")
                    parsed_here = True
                except GraphQLError as syntax_error:  # also: over the token limit
                    state.pre_execution_errors = [syntax_error]
                    state.result = ExecutionResult(None, [syntax_error])
                    return None
        document = state.graphql_document
        async with hooks.validation():
            if state.pre_execution_errors is None:  # an on_validate hook may have set it
                # The cache holds what these rules say of this text, nothing else.
                cacheable = parsed_here and state.validation_rules is self.rules
                state.pre_execution_errors = self._validate(state, document, cacheable=cacheable)
            errors = state.pre_execution_errors
        if errors:
            # A copy: shaping changes the list's errors, the cached list stays as it is.
            state.result = ExecutionResult(None, list(errors))
            return None
        operation = get_operation_ast(document, request.operation_name)
        if not isinstance(operation, OperationDefinitionNode):
            raise UnknownOperationError()
        if operation.operation not in allowed:
            raise OperationNotAllowedError(operation.operation)
        if resolved.register is not None and self.persisted is not None and parsed_here:
            await self.persisted.register(resolved.register, request.query)
        return operation

    async def _charged(
        self, state: OperationState, operation: OperationDefinitionNode, context: RequestContext
    ) -> bool:
        """Whether the operation's cost is within the limits, and is now paid for; if not,
        ``state.result`` is the refusal (a request error: nothing ran).

        A subscription pays once, when it starts. A store failing while the budget is
        leased refuses too (fail closed), with the store's error (``UNAVAILABLE`` and
        ``retryAfter`` when it is momentary).
        """
        if not self.max_cost and not self.budget.per_minute:
            return True
        document = state.graphql_document
        assert document is not None  # noqa: S101 - prepared just before
        cost = operation_cost(self.core, document, operation, state.variables, self.page)
        try:
            if self.max_cost and cost > self.max_cost:
                raise QueryTooCostlyError(cost, self.max_cost)
            await self.budget.reserve(_payer(context), cost)
        except (GraphQLApiError, StorageError) as refused:
            state.result = ExecutionResult(None, [_as_graphql_error(refused)])
            return False
        return True

    def _parse(self, query: str) -> DocumentNode:
        document = self._documents.get(query)
        if document is None:
            document = parse(query, max_tokens=self.max_tokens)
            self._documents.put(query, document)
        return document

    def _validate(
        self, state: OperationState, document: DocumentNode | None, *, cacheable: bool
    ) -> list[GraphQLError]:
        query = state.query or ""
        errors = self._validated.get(query) if cacheable else None
        if errors is None:
            assert document is not None  # noqa: S101 - parsed just before
            errors = validate(
                self.core,
                document,
                state.validation_rules,
                hide_suggestions=self.hide_suggestions,
            )
            if cacheable:
                self._validated.put(query, errors)
        return errors

    async def _execute(
        self,
        state: OperationState,
        hooks: Hooks,
        request: OperationRequest,
        context: RequestContext,
    ) -> bool:
        """Execute a query or mutation into ``state.result``; whether it is a request error."""
        async with hooks.executing():
            if state.result is None:  # an on_execute hook may have answered already
                arguments = self._arguments(state, hooks, request, context)
                result = execute(**arguments, is_awaitable=is_awaitable)
                if inspect.isawaitable(result):
                    result = await result
                state.result = result
        return _refused_variables(state.result)

    def _arguments(
        self,
        state: OperationState,
        hooks: Hooks,
        request: OperationRequest,
        context: RequestContext,
    ) -> dict[str, Any]:
        """What graphql-core's ``execute`` and ``subscribe`` both take."""
        return {
            "schema": self.core,
            "document": state.graphql_document,
            "context_value": context,
            "variable_values": state.variables,
            "operation_name": request.operation_name,
            "field_resolver": resolve_field,
            "executor_class": PlainFieldsExecutor,
            "middleware": hooks.middleware,
            "hide_suggestions": self.hide_suggestions,
            "operation_extensions": request.extensions,  # Strawberry's executor takes them
        }

    async def _events(
        self,
        state: OperationState,
        hooks: Hooks,
        request: OperationRequest,
        context: RequestContext,
    ) -> AsyncIterator[Outcome]:
        """A subscription's outcomes: one per event; an error ends the stream."""
        async with hooks.executing():
            source: Any = subscribe(**self._arguments(state, hooks, request, context))
            if inspect.isawaitable(source):
                source = await source
        if isinstance(source, ExecutionResult):  # variables, or the subscribe step failed
            _refused_variables(source)
            state.result = source
            yield await self._finish(state, hooks, context, request_error=True)
            return
        async with contextlib.aclosing(source):
            while True:
                try:
                    state.result = await anext(source)
                except StopAsyncIteration:
                    return
                except Exception as exc:  # noqa: BLE001 - graphql-core leaves these to us
                    state.result = ExecutionResult(None, [_as_graphql_error(exc)])
                    yield await self._finish(state, hooks, context, request_error=False)
                    return
                yield await self._finish(state, hooks, context, request_error=False)

    async def _finish(
        self, state: OperationState, hooks: Hooks, context: RequestContext, *, request_error: bool
    ) -> Outcome:
        result = state.result
        if not isinstance(result, ExecutionResult):  # incremental delivery is not enabled
            raise TypeError("unexpected incremental result")
        if result.errors:
            shape_in_place(result.errors, context.request_id)
        extensions = await hooks.results(state)
        if extensions:
            result.extensions = {**(result.extensions or {}), **extensions}
        return Outcome(result, request_error)


def _payer(context: RequestContext) -> str:
    """Whose budget an operation is paid from: the user's, else the client address's."""
    caller = context.caller
    if caller.kind == CallerKind.USER and caller.user_id is not None:
        return f"user:{caller.user_id}"
    if caller.kind == CallerKind.SYSTEM:
        return "system"
    return f"address:{context.client_address}"


def _refused_variables(result: Any) -> bool:
    """Whether execution refused the variables (no data, no error with a path): a request
    error, whose errors are then marked ``BAD_USER_INPUT``."""
    errors: list[GraphQLError] = getattr(result, "errors", None) or []
    refused = getattr(result, "data", None) is None and bool(errors)
    if refused and not any(error.path for error in errors):
        mark_bad_user_input(errors)
        return True
    return False


def _as_graphql_error(error: Exception) -> GraphQLError:
    if isinstance(error, GraphQLError):
        return error
    return GraphQLError(str(error), original_error=error)
