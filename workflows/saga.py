"""Sagas: undo the steps that succeeded when a later one fails.

::

    async with Saga() as saga:
        reserved = await call(reserve_board, inp)
        saga.compensate(release_board, ReleaseInput(inp.board_id))
        await call(archive_board, inp)     # if this fails, release_board runs

When the block raises — a failed call, a rejection, or the workflow being cancelled —
the registered compensations run in *reverse* order of registration, each with its
function's own retry policy, and then the original error propagates unchanged. A
compensation that still fails after its retries is logged and the others still run:
one stuck undo must not block the rest.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar

from temporalio import workflow

from functions.definition import Function
from workflows.calls import call

__all__ = ["Saga"]

InT = TypeVar("InT")


class Saga:
    """An async context manager collecting compensations (see the module docstring)."""

    def __init__(self) -> None:
        self._compensations: list[tuple[Function[Any, Any], Any]] = []

    def compensate(self, fn: Function[InT, Any], inp: InT) -> None:
        """Register ``fn(inp)`` to run if the saga fails from here on."""
        self._compensations.append((fn, inp))

    async def __aenter__(self) -> Saga:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            return
        await self.run_compensations()

    async def run_compensations(self) -> None:
        """Run the registered compensations, newest first, and forget them."""
        pending, self._compensations = self._compensations, []
        for fn, inp in reversed(pending):
            try:
                await call(fn, inp)
            except Exception:  # noqa: BLE001 - one failed undo must not stop the others
                workflow.logger.exception("compensation %r failed; continuing", fn.name)
