"""Keeps a :class:`~auth.revocation.RevocationList` in step with the store.

One task per API process (started by ``baas.auth_wiring``): :meth:`RevocationFeed.load`
reads both revocation tables whole (they hold only the revocations of the last ~15
minutes), then :meth:`RevocationFeed.run` follows the store's change feed from the
position read *before* that scan, so a revocation committed during the scan is seen by
one or the other, never by neither. Only the records of the two tables are read
(``tables=``), so the follower costs a few small queries per second whatever the
application writes. Like :mod:`baas.graphql.change_hub` it waits on the feed between
rounds: this process's own commits wake it at once, other processes' are noticed by the
store's polling (50 ms for SQLite), which is what bounds propagation to well under 1 s.

Every round that reaches the end of the feed marks the list current; when the store
cannot be read the follower retries every second with a fresh :meth:`load`, and the
list fails closed once it is ``max_staleness`` seconds old.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from auth.revocation import RevocationList
from auth.system_tables import REVOCATIONS_TABLE, SESSION_REVOCATIONS_TABLE, TTL_ATTRIBUTE
from storage import ChangeRecord, DocumentStore, Item
from storage.errors import StorageError

__all__ = ["RevocationFeed"]

_log = logging.getLogger("auth.revocation")
_TABLES = (REVOCATIONS_TABLE, SESSION_REVOCATIONS_TABLE)
_BATCH = 500
_PRUNE_EVERY = 30.0  # seconds between sweeps of expired entries from memory


class RevocationFeed:
    """Follows the revocation tables for one :class:`RevocationList`."""

    def __init__(
        self,
        revocations: RevocationList,
        store: Callable[[], DocumentStore],
        *,
        idle_wait: float = 1.0,
        retry_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._revocations = revocations
        self._store = store
        self._idle_wait = idle_wait
        self._retry_after = retry_after
        self._clock = clock
        self._cursor: int | None = None
        self._pruned_at = 0.0

    async def load(self) -> None:
        """Read both tables whole and remember where the feed stood before."""
        store = self._store()
        checked = self._clock()
        cursor = await store.changes.latest_seq()
        for table in _TABLES:
            start: Item | None = None
            while True:
                page = await store.scan(table, exclusive_start_key=start)
                for item in page.items:
                    self._apply(table, item)
                start = page.last_evaluated_key
                if start is None:
                    break
        self._cursor = cursor
        self._revocations.advance(cursor)
        self._revocations.mark_current(checked)

    async def run(self) -> None:
        """Follow the feed until cancelled; reload after any storage failure."""
        while True:
            try:
                if self._cursor is None:
                    await self.load()
                await self._round()
            except (StorageError, OSError):
                _log.warning("could not follow the revocations; retrying", exc_info=True)
                self._cursor = None  # records may have been missed: read everything again
                await asyncio.sleep(self._retry_after)
            except Exception:  # noqa: BLE001 - logged; keep following (stale fails closed)
                _log.exception("the revocation follower failed; retrying")
                self._cursor = None  # records may have been missed: read everything again
                await asyncio.sleep(self._retry_after)

    async def _round(self) -> None:
        assert self._cursor is not None  # noqa: S101 - run() loads first
        feed = self._store().changes
        checked = self._clock()
        top = await feed.latest_seq()
        records = await feed.read(self._cursor, _BATCH, tables=_TABLES)
        for record in records:
            self._apply_record(record)
        caught_up = len(records) < _BATCH
        # Fewer than a batch: every record up to ``top`` was among them (feed.read).
        self._cursor = max(top, self._cursor) if caught_up else records[-1].seq
        if records:
            self._cursor = max(self._cursor, records[-1].seq)
        self._revocations.advance(self._cursor)
        if not caught_up:
            return
        self._revocations.mark_current(checked)
        if checked - self._pruned_at >= _PRUNE_EVERY:
            self._revocations.prune()
            self._pruned_at = checked
        await feed.wait(self._cursor, self._idle_wait)

    def _apply_record(self, record: ChangeRecord) -> None:
        if record.new_image is not None:  # a removal is the TTL sweeper's: nothing to do
            self._apply(record.table, record.new_image)

    def _apply(self, table: str, item: Item) -> None:
        expires = item.get(TTL_ATTRIBUTE)
        expires_at = None if expires is None else float(str(expires))
        if expires_at is not None and expires_at <= time.time():
            return  # every token it could refuse has expired
        try:
            if table == REVOCATIONS_TABLE:
                self._revocations.revoke_user(
                    str(item["user_id"]), float(str(item["not_before"])), expires_at=expires_at
                )
            else:
                self._revocations.revoke_session(
                    str(item["user_id"]), str(item["session_id"]), expires_at=expires_at
                )
        except (KeyError, ValueError, ArithmeticError):
            _log.exception("ignored a malformed entry of %s", table)
