"""App-defined queries: query fields that run one of the app's functions and answer its result.

``app.query(search_boards, rules=[allow_query.authenticated()])`` (see
:meth:`baas.application.App.query`) adds::

    type Query { searchBoards(input: SearchBoardsInput!): SearchResult }

typed from the function's input and output classes (:mod:`baas.graphql.function_types`).
Running it:

1. the rules decide for the caller (``run``): ``FORBIDDEN`` otherwise, before anything
   starts;
2. the input is converted to the function's input class (``VALIDATION`` if it does not
   fit, ``PAYLOAD_TOO_LARGE`` above the call payload limit), as for a call's input;
3. the function runs as a one-step call on the worker's function pool, acting as the
   caller, exactly like ``startX(wait: true)`` — functions only ever run there, under
   their limits and the isolation guard — and the field waits for its result, at most
   ``QUERY_WAIT_SECONDS`` (then the call is cancelled and the field answers
   ``FUNCTION_TIMEOUT``);
4. the result is the field's value; a failure is an error at the field with a safe
   message: ``FUNCTION_TIMEOUT`` when the function ran out of time, else
   ``FUNCTION_FAILED`` with the function's own error code in ``extensions.reason``
   (a ``FunctionError``'s ``code``; ``internal`` for an unexpected exception, whose
   detail stays in the worker's log).

These calls are not listed in ``myCalls``: a query is an answer, not a job to follow.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from auth.errors import AccessDeniedError
from auth.rules import Effect, decide
from baas.application import QUERY_OPERATIONS, AppQuery, Invocable
from baas.graphql.arguments import param
from baas.graphql.calls import Calls
from baas.graphql.context import RequestContext
from baas.graphql.errors import GraphQLApiError
from baas.graphql.function_types import PayloadTypes
from baas.graphql.model_types import optional
from baas.graphql.root_fields import RootField, declare_field
from workflows import CallCancelledError, CallFailedError, cancel, result, start_call
from workflows.failures import TIMEOUT

__all__ = [
    "QUERY_WAIT_SECONDS",
    "FunctionFailedError",
    "FunctionTimeoutError",
    "app_query_fields",
]

QUERY_WAIT_SECONDS = 30.0
"""The longest an app-defined query waits for its function (retries included)."""


class FunctionFailedError(GraphQLApiError):
    """The function failed; ``extensions.reason`` is its error code."""

    code = "FUNCTION_FAILED"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.extensions = {"reason": reason}


class FunctionTimeoutError(GraphQLApiError):
    """The function did not answer in time."""

    code = "FUNCTION_TIMEOUT"

    def __init__(self) -> None:
        super().__init__("The function ran out of time.")


def app_query_fields(
    queries: Sequence[AppQuery], calls: Calls, *, wait_seconds: float = QUERY_WAIT_SECONDS
) -> list[RootField]:
    """One query field per app-defined query."""
    types = PayloadTypes()
    return [_field(query, types, calls, wait_seconds) for query in queries]


def _field(query: AppQuery, types: PayloadTypes, calls: Calls, wait_seconds: float) -> RootField:
    fn = query.function
    invocable = Invocable(fn, fn.name, query.rules, fn.input_type)
    input_type = types.input(fn.input_type)

    async def run(context: RequestContext, args: dict[str, Any]) -> Any:
        decision = decide(query.rules, context.caller, "run", known_operations=QUERY_OPERATIONS)
        if decision.effect != Effect.ALLOWED:
            raise AccessDeniedError()
        client = await calls.client(context)
        inp = calls.decode(client, invocable, args.get("input") or {})
        call_id = await start_call(
            client, fn, inp, context.caller, task_queue=context.services.settings.task_queue
        )
        try:
            # The result as JSON with the output's Python field names: the object
            # types' fields read them (Strawberry's resolvers look fields up by those).
            return await asyncio.wait_for(result(client, call_id), wait_seconds)
        except TimeoutError:
            with contextlib.suppress(Exception):  # it may have ended meanwhile
                await cancel(client, call_id)
            raise FunctionTimeoutError() from None
        except CallCancelledError as exc:
            raise FunctionFailedError(exc.code, exc.message) from None
        except CallFailedError as exc:
            if exc.code == TIMEOUT:
                raise FunctionTimeoutError() from None
            raise FunctionFailedError(exc.code, exc.message) from None

    params = [] if input_type is None else [param("input", input_type)]
    doc = (fn.__doc__ or "").strip() or f"Runs {fn.name} and answers its result."
    field = declare_field(
        "query", query.field, None, run, params, None, optional(types.output(fn.output_type)),
        doc,
    )  # fmt: skip
    return RootField(
        field.root, field.name, field.field, None, field.run, field.arguments, cost=query.cost
    )
