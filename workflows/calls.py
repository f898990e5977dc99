"""Calling functions from inside a workflow: one, several at once, and durable sleep.

Use these inside ``@workflow.run``::

    reserved = await call(reserve_board, ReserveInput(board_id))
    a, b = await parallel(call(notify, x), call(notify, y))
    await sleep(timedelta(hours=1))

``call`` runs the function's activity with the policy the function declared (its
timeout and retries live with the function, not with each caller) and returns its
typed output.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar, overload

from temporalio import workflow

from functions.activity import as_application_error
from functions.definition import Function
from functions.errors import InvalidInputError

__all__ = ["call", "parallel", "sleep"]

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
        start_to_close_timeout=fn.policy.timeout,
        retry_policy=fn.policy.retry_policy(),
        heartbeat_timeout=heartbeat_timeout,
        result_type=fn.output_type,
        summary=summary or fn.name,
    )
    return output


@overload
async def parallel(a: Awaitable[A], /) -> tuple[A]: ...
@overload
async def parallel(a: Awaitable[A], b: Awaitable[B], /) -> tuple[A, B]: ...
@overload
async def parallel(a: Awaitable[A], b: Awaitable[B], c: Awaitable[C], /) -> tuple[A, B, C]: ...
@overload
async def parallel(
    a: Awaitable[A], b: Awaitable[B], c: Awaitable[C], d: Awaitable[D], /
) -> tuple[A, B, C, D]: ...
@overload
async def parallel(*calls: Awaitable[A]) -> tuple[A, ...]: ...
async def parallel(*calls: Awaitable[Any]) -> tuple[Any, ...]:
    """Run ``calls`` concurrently and return their results in order.

    Unlike a bare ``asyncio.gather``, a failure is raised only once *every* call has
    finished: a saga then compensates with nothing still running behind its back.
    The first failure (in argument order) is the one raised.
    """
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return tuple(results)


async def sleep(duration: float | timedelta) -> None:
    """A durable timer: survives worker restarts; ``duration`` in seconds or a timedelta."""
    await workflow.sleep(duration)
