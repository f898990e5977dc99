"""Batching of one request's reads: a DataLoader for nested fields.

graphql-core resolves a nested field once per parent: for a page of 20 boards, the
``todos`` resolver runs 20 times. Each run asks a :class:`Batch` for its part
(:meth:`Batch.load`) and waits; the batch then makes **one** store read for every part
asked in the same round (``read(keys)``), and hands each waiter its answer. Which
loads share a batch is the caller's choice, by the key under which it keeps the batch
(:meth:`RequestContext.batch <baas.graphql.context.RequestContext.batch>`): the same
relation with the same arguments.

A round ends when the event loop has run every callback that was ready without a new
load arriving: the sibling resolvers of one list are all started by then, however deep
graphql-core's own awaiting goes. Nothing is cached between rounds, so a read never
answers from an older one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["Batch"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Read = Callable[[Sequence[K]], Awaitable[Sequence[V | BaseException]]]
"""Answers for ``keys`` in their order: a value, or the error for that key alone."""


class Batch(Generic[K, V]):
    """Loads gathered in one round of the event loop, read together (module docstring)."""

    def __init__(self, read: Read[K, V], on_dispatch: Callable[[Batch[K, V]], None]) -> None:
        self._read = read
        # Called with this batch when it reads: the context forgets it, so later loads
        # start a new one. (Given, not closed over: a batch holding itself through
        # its callback would live until the garbage collector's next pass.)
        self._on_dispatch = on_dispatch
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}
        self._task: asyncio.Task[None] | None = None

    def load(self, key: K) -> asyncio.Future[V]:
        """The answer for ``key``, once the round's read is done (equal keys share it)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V] = loop.create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._task is None:
            self._task = loop.create_task(self._dispatch())
        return future

    async def _dispatch(self) -> None:
        # Let every resolver that is ready run (and ask) before reading.
        asked = -1
        while asked != len(self._waiting):
            asked = len(self._waiting)
            await asyncio.sleep(0)
        self._on_dispatch(self)
        keys = list(self._waiting)
        try:
            answers: Sequence[Any] = await self._read(keys)
        except Exception as exc:  # noqa: BLE001 - every waiter gets the read's error
            answers = [exc] * len(keys)
        try:
            for key, answer in zip(keys, answers, strict=True):
                for future in self._waiting[key]:
                    if future.done():  # the waiter was cancelled
                        continue
                    if isinstance(answer, BaseException):
                        future.set_exception(answer)
                    else:
                        future.set_result(answer)
        finally:
            # A read answering the wrong number of keys is a bug: fail, never hang.
            for futures in self._waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(RuntimeError("the batched read answered no value"))
