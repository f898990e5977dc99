"""Calling functions from inside a workflow: one, several at once, and durable sleep.

Use these inside ``@workflow.run``::

    reserved = await call(reserve_board, ReserveInput(board_id))
    a, b = await parallel(call(notify, x), call(notify, y))
    sent = await parallel(*(call(notify, m) for m in members), limit=50)
    await sleep(timedelta(hours=1))

``call`` runs the function's activity with the policy the function declared (its
timeout and retries live with the function, not with each caller) and returns its
typed output. ``parallel`` runs any number of calls, at most ``limit`` at a time (a
workflow may have at most 1,000 calls in flight: see :mod:`workflows.scheduling`).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar, overload

from temporalio import workflow

from functions.activity import as_application_error
from functions.definition import Function
from functions.errors import InvalidInputError

__all__ = ["PARALLEL_LIMIT", "call", "parallel", "sleep"]

PARALLEL_LIMIT = 100
"""Calls ``parallel`` runs at once unless told otherwise: far below Temporal's limits."""

InT = TypeVar("InT")
OutT = TypeVar("OutT")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")


async def call(
    fn: Function[InT, OutT],
    inp: InT,
    *,
    heartbeat_timeout: timedelta | None = None,
    summary: str | None = None,
) -> OutT:
    """Run ``fn`` on ``inp`` as an activity with its declared timeout and retry policy."""
    if not isinstance(inp, fn.input_type):
        # A plain TypeError would fail only the workflow task, retried forever.
        raise as_application_error(
            InvalidInputError(
                f"function {fn.name!r} takes {fn.input_type.__name__}, got {type(inp).__name__}"
            )
        )
    output: OutT = await workflow.execute_activity(
        fn.name,
        inp,
        start_to_close_timeout=fn.policy.activity_timeout,
        retry_policy=fn.policy.retry_policy(),
        heartbeat_timeout=heartbeat_timeout,
        result_type=fn.output_type,
        summary=summary or fn.name,
    )
    return output


@overload
async def parallel(a: Awaitable[A], /, *, limit: int = ...) -> tuple[A]: ...
@overload
async def parallel(a: Awaitable[A], b: Awaitable[B], /, *, limit: int = ...) -> tuple[A, B]: ...
@overload
async def parallel(
    a: Awaitable[A], b: Awaitable[B], c: Awaitable[C], /, *, limit: int = ...
) -> tuple[A, B, C]: ...
@overload
async def parallel(
    a: Awaitable[A], b: Awaitable[B], c: Awaitable[C], d: Awaitable[D], /, *, limit: int = ...
) -> tuple[A, B, C, D]: ...
@overload
async def parallel(*calls: Awaitable[A], limit: int = ...) -> tuple[A, ...]: ...
async def parallel(*calls: Awaitable[Any], limit: int = PARALLEL_LIMIT) -> tuple[Any, ...]:
    """Run ``calls`` concurrently, at most ``limit`` at a time; return their results in order.

    Pass the calls unstarted (``call(fn, x)`` without ``await``): a call starts when a
    slot is free, so any number of them run in waves that stay under Temporal's limits.
    Unlike a bare ``asyncio.gather``, a failure is raised only once every started call
    has finished: a saga then compensates with nothing still running behind its back.
    After a failure no further call is started (an awaitable that is already running,
    such as a task, is still awaited). The first failure (in argument order) is raised.
    """
    if limit < 1:
        raise ValueError("parallel() needs a limit of at least 1")
    slots = asyncio.Semaphore(limit)
    failed = False

    async def run(awaitable: Awaitable[Any]) -> Any:
        nonlocal failed
        async with slots:
            if failed and inspect.iscoroutine(awaitable):
                awaitable.close()  # never started: closed, or Python warns it was not awaited
                raise _NotStartedError
            try:
                return await awaitable
            except BaseException:
                failed = True
                raise

    results = await asyncio.gather(*(run(c) for c in calls), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, _NotStartedError):
            raise result
    return tuple(results)


class _NotStartedError(Exception):
    """A call left unstarted because an earlier one failed (never raised to the caller)."""


async def sleep(duration: float | timedelta) -> None:
    """A durable timer: survives worker restarts; ``duration`` in seconds or a timedelta."""
    await workflow.sleep(duration)
