"""The change feed: an ordered log of every committed write.

Each write appends its records in the same transaction as the write itself, so a
reader that remembers the last sequence number it processed (its checkpoint) never
misses a change and never sees one out of order. Like DynamoDB Streams, a write that
changes nothing appends nothing, and TTL deletions are flagged ``system``.

    async for record in store.changes.follow(after_seq=checkpoint):
        handle(record)
        checkpoint = record.seq
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from storage.backend import Backend
    from storage.values import Item

__all__ = ["ChangeFeed", "ChangeRecord"]


@dataclass(frozen=True)
class ChangeRecord:
    """One committed change of one item.

    ``created_at`` is epoch seconds; ``old_image``/``new_image`` are None for an
    INSERT/REMOVE respectively; ``system`` is True for deletions made by the TTL sweeper.
    """

    seq: int
    table: str
    keys: Item
    event: Literal["INSERT", "MODIFY", "REMOVE"]
    old_image: Item | None
    new_image: Item | None
    created_at: float
    system: bool = False


class ChangeFeed:
    """Reads the change feed from a checkpoint (``store.changes``)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    async def read(
        self, after_seq: int = 0, limit: int = 100, *, tables: Collection[str] | None = None
    ) -> list[ChangeRecord]:
        """Up to ``limit`` records with ``seq > after_seq``, oldest first.

        With ``tables``, only records of those tables (the others are skipped by the
        backend, never decoded). Fewer than ``limit`` records then means every record
        up to the ``latest_seq()`` read before this call has been seen.
        """
        return await self._backend.read_changes(after_seq, limit, tables)

    async def latest_seq(self) -> int:
        """The sequence number of the newest record (0 when the feed is empty)."""
        return await self._backend.latest_seq()

    async def wait(self, after_seq: int, timeout: float) -> bool:  # noqa: ASYNC109 - part of the feed API
        """Wait until a record after ``after_seq`` exists; False after ``timeout`` s.

        Writes of this process wake the waiter at once; those of other processes
        sharing the database are noticed by polling.
        """
        return await self._backend.wait_changes(after_seq, timeout)

    async def follow(self, after_seq: int = 0, batch: int = 100) -> AsyncIterator[ChangeRecord]:
        """Yield every record after ``after_seq``, then wait for more, forever."""
        while True:
            records = await self.read(after_seq, batch)
            for record in records:
                yield record
                after_seq = record.seq
            if not records:
                await self.wait(after_seq, 1.0)
