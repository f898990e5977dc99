"""The PostgreSQL backend: the store across machines, on one PostgreSQL database.

Writes go through the process's :class:`~storage.postgres.writer.GroupCommitWriter`
(one transaction per batch, under the store's write lock, so conditions, transactions
and change numbers are atomic and ordered across every process). Reads come from a
few autocommit connections (:mod:`storage.postgres.connections`) in READ COMMITTED: each statement sees everything
committed before it started, and a write is acknowledged only once committed, so every
read (eventually or strongly consistent) sees every acknowledged write. A multi-item
read (TransactGetItems) runs in one REPEATABLE READ transaction: one snapshot.

Feed readers are woken by LISTEN/NOTIFY: each write transaction notifies the store's
channel on commit, and one listening connection per process wakes its waiters; a slow
poll covers a lost listening connection. Lost connections are re-made on use, so the
store recovers by itself when the database comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

import psycopg

from storage.backend import Decide, RangeRead, ScanRead, StoredItem, WriteOutcome, WriteTarget
from storage.codec import decode_item
from storage.errors import ResourceNotFoundError, StorageUnreachableError
from storage.feed import ChangeRecord
from storage.ordered_reads import query_statement, scan_statement
from storage.postgres import mutations
from storage.postgres.batch_writes import WriteRequest
from storage.postgres.config import PostgresConfig
from storage.postgres.connections import ReadConnections
from storage.postgres.failures import postgres_failure
from storage.postgres.listener import ChangeListener
from storage.postgres.schema import Connection, connect, migrate
from storage.postgres.writer import GroupCommitWriter
from storage.tables import TableDescription, TableSpec
from storage.values import Item

__all__ = ["PostgresBackend"]

_log = logging.getLogger(__name__)
_FIVE_YEARS = 5 * 365 * 24 * 3600.0  # DynamoDB's TTL ignores older expiry times


class PostgresBackend:
    """Implements :class:`storage.backend.Backend` on a PostgreSQL schema."""

    def __init__(self, config: PostgresConfig) -> None:
        self._config = config
        self._channel = f"baas_changes_{config.schema}"
        self._wakeups = _Wakeups()
        self._pool = ReadConnections(config)
        self._writer = GroupCommitWriter(config, self._channel, self._wakeups.notify)
        self._listener = ChangeListener(config, self._channel, self._wakeups.notify)

    @classmethod
    async def open(cls, config: PostgresConfig) -> PostgresBackend:
        """Connect, create or migrate the schema, and start listening for changes."""
        try:
            connection = await connect(config, autocommit=True)
        except (psycopg.Error, OSError) as exc:
            raise StorageUnreachableError(
                f"cannot connect to PostgreSQL at {config.safe_url}"
            ) from exc
        try:
            await migrate(connection, config)
        except psycopg.Error as exc:
            raise postgres_failure(exc) from exc
        finally:
            await connection.close()
        backend = cls(config)
        backend._listener.start()
        return backend

    async def close(self) -> None:
        await self._writer.close()
        await self._listener.stop()
        await self._pool.close()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        try:
            async with self._pool.connection() as connection:
                yield connection
        except (psycopg.Error, OSError) as exc:
            raise postgres_failure(exc) from exc

    async def _read(self, query: str, parameters: Sequence[Any]) -> list[Any]:
        async with self._connection() as connection:
            cursor = await connection.execute(query, parameters)
            return await cursor.fetchall()

    # --- catalog -----------------------------------------------------------------

    async def create_table(self, spec: TableSpec, created_at: float) -> None:
        await self._writer.submit(lambda c: mutations.insert_table(c, spec, created_at))

    async def get_table(self, name: str) -> TableSpec | None:
        async with self._connection() as connection:
            return await mutations.load_spec(connection, name)

    async def list_tables(self) -> list[str]:
        return [row[0] for row in await self._read("SELECT name FROM tables ORDER BY name", ())]

    async def describe_table(self, name: str) -> TableDescription:
        async with self._connection() as connection:
            spec = await mutations.load_spec(connection, name)
            cursor = await connection.execute(
                "SELECT (SELECT created_at FROM tables WHERE name = %s),"
                " count(*), coalesce(sum(size), 0) FROM items WHERE tbl = %s",
                (name, name),
            )
            row = await cursor.fetchone()
        if spec is None or row is None or row[0] is None:
            raise ResourceNotFoundError(f"Requested resource not found: Table: {name} not found")
        return TableDescription(spec, int(row[1]), int(row[2]), float(row[0]))

    async def replace_table(self, spec: TableSpec) -> None:
        await self._writer.submit(lambda c: mutations.replace_table(c, spec))

    async def delete_table(self, name: str) -> None:
        await self._writer.submit(lambda c: mutations.delete_table(c, name))

    # --- items -------------------------------------------------------------------

    async def get_item(self, spec: TableSpec, key: tuple[bytes, bytes]) -> Item | None:
        async with self._connection() as connection:
            data = await mutations.load_item(connection, spec.name, key)
        return None if data is None else decode_item(data)

    async def get_items(
        self, keys: Sequence[tuple[TableSpec, tuple[bytes, bytes]]]
    ) -> list[Item | None]:
        async with self._connection() as connection, connection.transaction():
            # One snapshot for every item (TransactGetItems).
            await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            stored = [await mutations.load_item(connection, spec.name, key) for spec, key in keys]
        return [None if data is None else decode_item(data) for data in stored]

    async def query(self, spec: TableSpec, read: RangeRead) -> list[StoredItem]:
        sql, parameters = query_statement(spec.name, read, "%s")
        return [
            StoredItem(decode_item(bytes(data)), size)
            for data, size in await self._read(sql, parameters)
        ]

    async def scan(self, spec: TableSpec, read: ScanRead) -> list[StoredItem]:
        sql, parameters = scan_statement(spec.name, read, "%s")
        return [
            StoredItem(decode_item(bytes(data)), size)
            for data, size in await self._read(sql, parameters)
        ]

    async def write(
        self,
        targets: Sequence[WriteTarget],
        decide: Decide,
        *,
        token: tuple[str, str] | None = None,
        system: bool = False,
    ) -> list[WriteOutcome]:
        if token is not None:  # the one-by-one path records the token too
            return await self._writer.submit(
                lambda c: mutations.apply_write(c, targets, decide, token, system=system)
            )
        return await self._writer.write(WriteRequest(targets, decide, system))

    async def expired_keys(self, spec: TableSpec, now: float, limit: int) -> list[Item]:
        rows = await self._read(
            "SELECT data FROM items WHERE tbl = %s AND ttl >= %s AND ttl < %s LIMIT %s",
            (spec.name, now - _FIVE_YEARS, now, limit),
        )
        return [spec.key_of(decode_item(bytes(data))) for (data,) in rows]

    # --- change feed -------------------------------------------------------------

    async def read_changes(
        self, after_seq: int, limit: int, tables: Collection[str] | None = None
    ) -> list[ChangeRecord]:
        if tables is None:
            rows = await self._read(
                "SELECT seq, tbl, keys, event, old, new, created_at, system FROM changes"
                " WHERE seq > %s ORDER BY seq LIMIT %s",
                (after_seq, limit),
            )
        else:
            rows = await self._read(
                "SELECT seq, tbl, keys, event, old, new, created_at, system FROM changes"
                " WHERE seq > %s AND tbl = ANY(%s) ORDER BY seq LIMIT %s",
                (after_seq, sorted(tables), limit),
            )
        return [
            ChangeRecord(
                seq,
                table,
                decode_item(bytes(keys)),
                event,
                None if old is None else decode_item(bytes(old)),
                None if new is None else decode_item(bytes(new)),
                created_at,
                system,
            )
            for seq, table, keys, event, old, new, created_at, system in rows
        ]

    async def latest_seq(self) -> int:
        rows = await self._read(f"SELECT {mutations.LATEST_SEQ}", ())
        return int(rows[0][0])

    async def wait_changes(self, after_seq: int, timeout: float) -> bool:  # noqa: ASYNC109 - see Backend.wait_changes
        deadline = time.monotonic() + timeout
        while True:
            wakeup = self._wakeups.next()  # taken before looking: no wake-up is missed
            if await self.latest_seq() > after_seq:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            # Woken by NOTIFY (any process) or this process's commits; the poll only
            # covers a listening connection being re-made. (asyncio.timeout, not wait_for:
            # on Python 3.11 wait_for can swallow a cancellation, see the SQLite backend.)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 1.0)):
                    await wakeup.wait()

    async def prune_changes(self, older_than: float) -> int:
        return await self._writer.submit(lambda c: mutations.prune_changes(c, older_than))

    async def import_items(self, spec: TableSpec, items: Sequence[Item]) -> None:
        await self._writer.submit(lambda c: mutations.import_items(c, spec, items))

    async def continue_feed_after(self, seq: int) -> None:
        await self._writer.submit(lambda c: mutations.continue_feed_after(c, seq))

    async def compact(self) -> None:
        # VACUUM FULL rewrites each table without the dead row versions that still held
        # deleted or replaced bytes. (Old WAL segments and backups are the server's.)
        async with self._connection() as connection:
            await connection.execute("VACUUM FULL tables, items, index_entries, changes, tokens")


class _Wakeups:
    """Wake-ups of feed waiters: each notice sets the event waiters took, then a new one.

    (A shared Event cleared by each waiter would let one waiter's clear() swallow the
    notice another was about to wait for.)
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def next(self) -> asyncio.Event:
        return self._event

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()
