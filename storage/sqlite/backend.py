"""The SQLite backend: one database file in WAL mode, shareable by processes.

Writes go through the store's :class:`GroupCommitWriter` (its thread, or inline when
the commit costs no fsync); WAL checkpoints run on a thread of their own
(:class:`Checkpointer`), never inside a commit. Reads run directly
on the event-loop thread with a dedicated read connection: a key lookup in a WAL
database takes microseconds, less than a hop to a thread pool would. Each read
statement runs in its own read transaction, which starts from the newest committed
state, and a write is acknowledged only after its commit, so every read (eventually
or strongly consistent) sees every acknowledged write.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sqlite3
import threading
import time
from collections.abc import Collection, Sequence
from typing import Any

from storage.backend import Decide, RangeRead, ScanRead, StoredItem, WriteOutcome, WriteTarget
from storage.codec import decode_item
from storage.errors import ResourceNotFoundError, StorageUnavailableError
from storage.feed import ChangeRecord
from storage.ordered_reads import query_statement, scan_statement
from storage.sqlite import mutations
from storage.sqlite.checkpoints import Checkpointer
from storage.sqlite.config import SqliteConfig
from storage.sqlite.failures import storage_failure
from storage.sqlite.schema import connect, create_schema
from storage.sqlite.writer import GroupCommitWriter
from storage.tables import TableDescription, TableSpec
from storage.values import Item

__all__ = ["SqliteBackend"]

# DynamoDB's TTL sweeper ignores expiry times more than five years in the past.
_FIVE_YEARS = 5 * 365 * 24 * 3600.0
# How often a feed waiter looks for records written by other processes.
_POLL_SECONDS = 0.05
_READ_CHANGES = (
    "SELECT seq, tbl, keys, event, old, new, created_at, system FROM changes"
    " WHERE seq > ? ORDER BY seq LIMIT ?"
)
_READ_TABLE_CHANGES = (
    "SELECT seq, tbl, keys, event, old, new, created_at, system FROM changes"
    " WHERE seq > ? AND tbl IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?"
)


class SqliteBackend:
    """Implements :class:`storage.backend.Backend` on one SQLite file."""

    def __init__(self, config: SqliteConfig) -> None:
        """Open (and if needed create) the database; call from the event loop."""
        self._config = config
        try:
            self._reader = connect(config)
            create_schema(self._reader)
            writer_connection = connect(config)
            # Checkpoints run on the checkpointer's thread, never inside a commit.
            writer_connection.execute("PRAGMA wal_autocheckpoint = 0")
        except sqlite3.Error as exc:
            raise StorageUnavailableError("The database file cannot be opened") from exc
        self._checkpointer = Checkpointer(functools.partial(connect, config))
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._changed = asyncio.Event()
        self._writer = GroupCommitWriter(
            writer_connection,
            self._notify_commit,
            inline=config.synchronous == "NORMAL",
            busy_timeout_ms=config.busy_timeout_ms,
        )

    def _notify_commit(self) -> None:
        # Called after each commit on the committing jobs' loop: wake this process's
        # feed waiters (through their own loop when the write came from another one).
        self._checkpointer.committed()
        # "Is this our loop?" without asyncio.get_running_loop(), which asks the kernel
        # for the process id on every call (to notice a fork): once per write.
        if threading.get_ident() == self._loop_thread and self._loop.is_running():
            self._changed.set()
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            self._loop.call_soon_threadsafe(self._changed.set)

    async def close(self) -> None:
        await self._writer.close()
        await asyncio.to_thread(self._checkpointer.stop)
        self._reader.close()

    def _read(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        try:
            return self._reader.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise storage_failure(exc) from exc

    # --- catalog -----------------------------------------------------------------

    async def create_table(self, spec: TableSpec, created_at: float) -> None:
        await self._writer.submit(
            functools.partial(mutations.insert_table, spec=spec, created_at=created_at)
        )

    async def get_table(self, name: str) -> TableSpec | None:
        return mutations.load_spec(self._reader, name)

    async def list_tables(self) -> list[str]:
        return [row[0] for row in self._read("SELECT name FROM tables ORDER BY name", ())]

    async def describe_table(self, name: str) -> TableDescription:
        rows = self._read("SELECT created_at FROM tables WHERE name = ?", (name,))
        spec = mutations.load_spec(self._reader, name)
        if not rows or spec is None:
            raise ResourceNotFoundError(f"Requested resource not found: Table: {name} not found")
        count, size = await asyncio.to_thread(self._statistics, name)
        return TableDescription(spec, count, size, rows[0][0])

    def _statistics(self, name: str) -> tuple[int, int]:
        """Item count and bytes of a table, on a thread with a connection of its own.

        Counting reads every item of the table: for a large one that takes long enough
        to stall every other request if it ran on the event loop.
        """
        try:
            connection = connect(self._config)
        except sqlite3.Error as exc:
            raise storage_failure(exc) from exc
        try:
            row = connection.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM items WHERE tbl = ?", (name,)
            ).fetchone()
        except sqlite3.Error as exc:
            raise storage_failure(exc) from exc
        finally:
            connection.close()
        return int(row[0]), int(row[1])

    async def replace_table(self, spec: TableSpec) -> None:
        await self._writer.submit(functools.partial(mutations.replace_table, spec=spec))

    async def delete_table(self, name: str) -> None:
        await self._writer.submit(functools.partial(mutations.delete_table, name=name))

    # --- items -------------------------------------------------------------------

    async def get_item(self, spec: TableSpec, key: tuple[bytes, bytes]) -> Item | None:
        try:
            data = mutations.load_item(self._reader, mutations.row_key(spec.name, key))
        except sqlite3.Error as exc:
            raise storage_failure(exc) from exc
        return None if data is None else decode_item(data)

    async def get_items(
        self, keys: Sequence[tuple[TableSpec, tuple[bytes, bytes]]]
    ) -> list[Item | None]:
        # One read transaction, so the items come from one snapshot (TransactGetItems).
        # No await inside: nothing else can use the read connection meanwhile.
        try:
            self._reader.execute("BEGIN")
            try:
                stored = [
                    mutations.load_item(self._reader, mutations.row_key(spec.name, key))
                    for spec, key in keys
                ]
            finally:
                self._reader.execute("COMMIT")
        except sqlite3.Error as exc:
            raise storage_failure(exc) from exc
        return [None if data is None else decode_item(data) for data in stored]

    async def query(self, spec: TableSpec, read: RangeRead) -> list[StoredItem]:
        sql, parameters = query_statement(spec.name, read, "?")
        return [StoredItem(decode_item(data), size) for data, size in self._read(sql, parameters)]

    async def scan(self, spec: TableSpec, read: ScanRead) -> list[StoredItem]:
        sql, parameters = scan_statement(spec.name, read, "?")
        return [StoredItem(decode_item(data), size) for data, size in self._read(sql, parameters)]

    async def write(
        self,
        targets: Sequence[WriteTarget],
        decide: Decide,
        *,
        token: tuple[str, str] | None = None,
        system: bool = False,
    ) -> list[WriteOutcome]:
        work = functools.partial(
            mutations.apply_write, targets=targets, decide=decide, token=token, system=system
        )
        return await self._writer.submit(work)

    async def expired_keys(self, spec: TableSpec, now: float, limit: int) -> list[Item]:
        rows = self._read(
            "SELECT data FROM items WHERE tbl = ? AND ttl >= ? AND ttl < ? LIMIT ?",
            (spec.name, now - _FIVE_YEARS, now, limit),
        )
        return [spec.key_of(decode_item(data)) for (data,) in rows]

    # --- change feed -------------------------------------------------------------

    async def read_changes(
        self, after_seq: int, limit: int, tables: Collection[str] | None = None
    ) -> list[ChangeRecord]:
        if tables is None:
            rows = self._read(_READ_CHANGES, (after_seq, limit))
        else:
            # One statement for any number of tables: the names travel as one JSON array.
            names = json.dumps(sorted(tables))
            rows = self._read(_READ_TABLE_CHANGES, (after_seq, names, limit))
        return [
            ChangeRecord(
                seq,
                table,
                decode_item(keys),
                event,
                None if old is None else decode_item(old),
                None if new is None else decode_item(new),
                created_at,
                bool(system),
            )
            for seq, table, keys, event, old, new, created_at, system in rows
        ]

    async def latest_seq(self) -> int:
        rows = self._read(f"SELECT {mutations.LATEST_SEQ}", ())
        return int(rows[0][0])

    async def wait_changes(self, after_seq: int, timeout: float) -> bool:  # noqa: ASYNC109 - see Backend.wait_changes
        deadline = time.monotonic() + timeout
        while True:
            self._changed.clear()
            if await self.latest_seq() > after_seq:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            # Woken at once by this process's commits; polls for other processes'.
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
            # cancellation that arrives as the event is set, and the waiter never ends.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, _POLL_SECONDS)):
                    await self._changed.wait()

    async def prune_changes(self, older_than: float) -> int:
        def prune(connection: sqlite3.Connection) -> int:
            # Records are appended in time order, so the old ones are a prefix.
            (cutoff,) = connection.execute(
                "SELECT coalesce("
                "(SELECT seq FROM changes WHERE created_at >= ? ORDER BY seq LIMIT 1),"
                " (SELECT max(seq) + 1 FROM changes))",
                (older_than,),
            ).fetchone()
            if cutoff is None:
                return 0  # the feed is empty
            deleted = connection.execute("DELETE FROM changes WHERE seq < ?", (cutoff,)).rowcount
            if deleted:
                # Numbering goes on past the pruned records, also once none is left.
                connection.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('feed_floor', ?)", (cutoff - 1,)
                )
            return deleted

        return await self._writer.submit(prune)

    async def import_items(self, spec: TableSpec, items: Sequence[Item]) -> None:
        await self._writer.submit(functools.partial(mutations.import_items, spec=spec, items=items))

    async def continue_feed_after(self, seq: int) -> None:
        await self._writer.submit(functools.partial(mutations.continue_feed_after, seq=seq))

    async def compact(self) -> None:
        await asyncio.to_thread(self._compact)

    def _compact(self) -> None:
        # VACUUM cannot run inside the writer's transactions: a connection of its own.
        # It rebuilds every page (no free page or slack keeps an old row's bytes), and
        # the TRUNCATE checkpoint empties the WAL, which held the pages' former content.
        try:
            connection = connect(self._config)
            try:
                connection.execute("VACUUM")
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise StorageUnavailableError(
                "The storage backend is unavailable, retry later"
            ) from exc
