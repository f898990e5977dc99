"""Fan-out of the store's change feed to this process's subscriptions.

One task per API process follows the change feed (``store.changes``) and hands each
record to the subscriptions of its table. Because the feed is in the store, a write made
by *any* API process sharing the database reaches every subscriber, in commit order.

The task runs only while someone is subscribed: it starts with the first subscription
(at the feed's newest record) and ends when the last one closes. A subscriber that
cannot keep up (its queue of ``queue_size`` records is full) is dropped with
:class:`SubscriptionInterruptedError` rather than let memory grow without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from storage import ChangeRecord, DocumentStore

__all__ = ["ChangeHub", "Subscriber", "SubscriptionInterruptedError"]

_log = logging.getLogger("baas.graphql.changes")
_READ_BATCH = 500
_WAIT_SECONDS = 1.0


class SubscriptionInterruptedError(Exception):
    """The subscription cannot go on: it fell behind, or the feed follower failed."""


class Subscriber:
    """The records of one table, for one subscription, in feed order."""

    def __init__(self, hub: ChangeHub, table: str, queue_size: int) -> None:
        self.table = table
        self._hub = hub
        self._queue: asyncio.Queue[ChangeRecord | None] = asyncio.Queue(queue_size)
        self._ended = False

    def offer(self, record: ChangeRecord) -> None:
        """Queue ``record``; a full queue ends the subscription instead."""
        if self._ended:
            return
        try:
            self._queue.put_nowait(record)
        except asyncio.QueueFull:
            self.end()

    def end(self) -> None:
        """Stop: the reader gets :class:`SubscriptionInterruptedError` after what is queued."""
        if self._ended:
            return
        self._ended = True
        self._hub.leave(self)
        if self._queue.full():
            self._queue.get_nowait()  # make room for the end marker
        self._queue.put_nowait(None)

    async def records(self) -> AsyncIterator[ChangeRecord]:
        """Every record of the table from subscription on."""
        try:
            while True:
                record = await self._queue.get()
                if record is None:
                    raise SubscriptionInterruptedError()
                yield record
        finally:
            self._hub.leave(self)


class ChangeHub:
    """Follows the change feed while anyone listens; see the module docstring."""

    def __init__(self, store: Callable[[], DocumentStore], *, queue_size: int = 1000) -> None:
        self._store = store
        self._queue_size = queue_size
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None
        self._cursor = 0
        self._lock = asyncio.Lock()

    async def subscribe(self, table: str) -> Subscriber:
        """A new subscriber receiving every record of ``table`` committed from now on."""
        async with self._lock:
            if self._task is None or self._task.done():
                self._cursor = await self._store().changes.latest_seq()
                self._task = asyncio.create_task(self._follow(), name="graphql-change-hub")
            subscriber = Subscriber(self, table, self._queue_size)
            self._subscribers.setdefault(table, set()).add(subscriber)
            return subscriber

    def leave(self, subscriber: Subscriber) -> None:
        group = self._subscribers.get(subscriber.table)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del self._subscribers[subscriber.table]
        if not self._subscribers and self._task is not None:
            # Nobody listens: stop now, not at the next poll (the store may be closing).
            self._task.cancel()
            self._task = None

    async def _follow(self) -> None:
        feed = self._store().changes
        try:
            while self._subscribers:
                records = await feed.read(self._cursor, _READ_BATCH)
                if not records:
                    await feed.wait(self._cursor, _WAIT_SECONDS)
                    continue
                for record in records:
                    self._cursor = record.seq
                    for subscriber in list(self._subscribers.get(record.table, ())):
                        subscriber.offer(record)
        except Exception:  # noqa: BLE001 - logged; any failure ends every subscription
            # Fail closed: every subscription ends with an error (clients resubscribe),
            # and the next subscription starts a fresh follower.
            _log.exception("the change feed follower stopped")
            for group in list(self._subscribers.values()):
                for subscriber in list(group):
                    subscriber.end()
