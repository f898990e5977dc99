"""A background task of the store's: started once, cancelled and awaited on stop.

The TTL sweeper, the PostgreSQL change listener and the PostgreSQL writer each run one
coroutine for as long as their store is open; this holds the task and the one way to
end it, so none of them re-implements the start-once and cancel-and-wait steps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["BackgroundTask"]


class BackgroundTask:
    """``run()`` in a task named ``name``, started by :meth:`start`, ended by :meth:`stop`."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the task unless it runs already (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Cancel the task and wait until it has ended (idempotent)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
