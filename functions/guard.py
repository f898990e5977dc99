"""The run-time half of function isolation: a function may not invoke another one.

While a function runs, :data:`_running` names it. Every entry point into a function
(calling the decorated object, or the coroutine function it wraps) asks
:func:`ensure_not_inside_function` first, so ``await other_fn(ctx, inp)`` inside a
function fails at once with a :class:`FunctionIsolationError` naming both, instead of
quietly coupling two units that should be composed by a workflow. The static half is
``baas check`` (``baas/check.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from functions.errors import FunctionIsolationError

__all__ = ["current_function", "ensure_not_inside_function", "running"]

# A ContextVar, not a global: many functions run concurrently on one worker's loop,
# each in its own asyncio task (and so its own context).
_running: ContextVar[str | None] = ContextVar("baas_running_function", default=None)


def current_function() -> str | None:
    """The name of the function running in this context, if any."""
    return _running.get()


def ensure_not_inside_function(callee: str) -> None:
    """Raise :class:`FunctionIsolationError` when a function is running here."""
    caller = _running.get()
    if caller is not None:
        raise FunctionIsolationError(caller, callee)


@contextlib.contextmanager
def running(name: str) -> Iterator[None]:
    """Mark ``name`` as the running function for the duration of the block."""
    token = _running.set(name)
    try:
        yield
    finally:
        _running.reset(token)
