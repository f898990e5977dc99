"""Running a :class:`Function` as a Temporal activity.

:func:`as_activity` wraps a function in an activity of the same name. The activity
takes and returns raw payloads, so that the runtime (not the SDK) decodes the input:
an input that does not fit the declared type is a final :class:`InvalidInputError`
rather than a decoding failure retried until the policy gives up.

With a :class:`~functions.pool.FunctionPool` (what a worker has) the activity hands the
call to a process of the pool, where the function runs under its limits; without one
(a benchmark's baseline) it runs here, in the worker's process. Either way the call

* gets its :class:`Context` (caller from the headers, idempotency key, logger, store);
* is marked as running, for the isolation guard;
* has its result refused above the payload limit;
* reports deliberate failures (:class:`FunctionError`, and the declared
  ``non_retryable`` types) as non-retryable ApplicationErrors, and anything else as a
  retryable one (retried by the function's policy).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from functions.context import Context, bound_logger, idempotency_key_for
from functions.definition import Function
from functions.errors import FunctionError, InvalidInputError, InvalidOutputError
from functions.identity import current_caller
from functions.payloads import check_payload_size
from functions.pool import FunctionPool
from functions.pool_process import RemoteFunctionError
from functions.services import FunctionRuntime

__all__ = ["as_activity", "as_application_error"]

ActivityCallable = Callable[[RawValue], Awaitable[RawValue]]


def as_application_error(error: FunctionError) -> ApplicationError:
    """The non-retryable ApplicationError Temporal carries for a deliberate failure.

    Its ``type`` is the error's stable code, which is what a client sees. Only the
    runtime's ``timeout`` and ``function_crashed`` are retried (``error.retryable``).
    """
    return ApplicationError(error.message, type=error.code, non_retryable=not error.retryable)


class RemoteTracebackError(Exception):
    """The traceback of a failure in a pool process, kept as the cause in the history."""


def as_activity(
    fn: Function[Any, Any], runtime: FunctionRuntime, pool: FunctionPool | None = None
) -> ActivityCallable:
    """An activity named ``fn.name`` that runs ``fn`` in ``pool`` (or here, without one)."""

    async def run_function(inp: RawValue) -> RawValue:
        try:
            if pool is not None:
                return await pool.call(fn, inp)
            return await _run(fn, runtime, inp)
        except FunctionError as exc:
            raise as_application_error(exc) from exc
        except RemoteFunctionError as failure:
            raise ApplicationError(
                failure.message, type=failure.code, non_retryable=not failure.retryable
            ) from RemoteTracebackError(failure.traceback)
        except fn.policy.non_retryable as exc:
            raise ApplicationError(str(exc), type=type(exc).__name__, non_retryable=True) from exc

    run_function.__name__ = run_function.__qualname__ = fn.name
    run_function.__doc__ = fn.__doc__
    return activity.defn(name=fn.name)(run_function)


async def _run(fn: Function[Any, Any], runtime: FunctionRuntime, raw: RawValue) -> RawValue:
    info = activity.info()
    converter = activity.payload_converter()
    try:
        inp = converter.from_payload(raw.payload, fn.input_type)
    except Exception as exc:
        raise InvalidInputError(
            f"the input of function {fn.name!r} is not a valid {fn.input_type.__name__}"
        ) from exc
    ctx = Context(
        function=fn.name,
        call_id=info.workflow_id or info.activity_id,
        caller=current_caller(),
        acts_as=fn.acts_as,
        idempotency_key=idempotency_key_for(info.workflow_id or "", info.activity_id),
        attempt=info.attempt,
        runtime=runtime,
        logger=bound_logger(fn.name, info.workflow_id or info.activity_id),
        _heartbeat=activity.heartbeat,
    )
    output = await fn.run(ctx, inp)
    if not isinstance(output, fn.output_type):
        raise InvalidOutputError(
            f"function {fn.name!r} returned {type(output).__name__}, "
            f"not its declared {fn.output_type.__name__}"
        )
    payload = converter.to_payload(output)
    check_payload_size(payload, runtime.max_payload_bytes, f"the result of function {fn.name!r}")
    return RawValue(payload)
