"""What the writer does inside a write transaction, in PostgreSQL's dialect.

These run on the writer's connection inside the SAVEPOINT of one job, while the
transaction holds the store's write lock (see :mod:`storage.postgres.writer`), so
everything one request does commits or rolls back together: item rows, their index
entries and the change records. What changes is worked out by
:mod:`storage.write_plan`, shared with the SQLite backend.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from typing import Any

from storage.backend import Decide, WriteOutcome, WriteTarget
from storage.codec import decode_item, encode_item
from storage.errors import (
    IdempotentParameterMismatchError,
    ResourceInUseError,
    ResourceNotFoundError,
    ValidationError,
)
from storage.keys import partition_hash
from storage.postgres.schema import Connection
from storage.tables import TableSpec, spec_from_json, spec_to_json
from storage.values import Item, item_size
from storage.write_plan import (
    TOKEN_TTL_SECONDS,
    IndexEntry,
    ItemChange,
    decide_changes,
    index_entries,
    ttl_of,
)

__all__ = [
    "LATEST_SEQ",
    "apply_write",
    "continue_feed_after",
    "delete_table",
    "import_items",
    "insert_table",
    "load_item",
    "load_spec",
    "prune_changes",
    "replace_table",
    "spec_of",
]

_SPEC_CACHE_SIZE = 1024
_spec_cache: dict[str, TableSpec] = {}
_ITEM_WHERE = "tbl = %s AND hash = %s AND pk = %s AND sk = %s"
# The latest change number: the highest record's, or the floor left by pruning. The
# writer holds the store's write lock while it numbers records, so numbers are given
# in commit order, without gaps (see storage/postgres/writer.py).
LATEST_SEQ = (
    "greatest((SELECT max(seq) FROM changes), (SELECT value FROM meta WHERE name = 'feed_floor'))"
)


async def _rows(connection: Connection, query: str, parameters: Sequence[Any]) -> list[Any]:
    cursor = await connection.execute(query, parameters)
    return await cursor.fetchall()


async def load_spec(connection: Connection, name: str) -> TableSpec | None:
    """The spec of table ``name``."""
    rows = await _rows(connection, "SELECT spec FROM tables WHERE name = %s", (name,))
    return None if not rows else spec_of(rows[0][0])


def spec_of(text: str) -> TableSpec:
    """A spec from its catalog text (parsed specs are cached by their text)."""
    spec = _spec_cache.get(text)
    if spec is None:
        if len(_spec_cache) > _SPEC_CACHE_SIZE:
            _spec_cache.clear()  # specs rarely change: a crude bound is enough
        spec = _spec_cache[text] = spec_from_json(text)
    return spec


async def require_spec(connection: Connection, name: str) -> TableSpec:
    spec = await load_spec(connection, name)
    if spec is None:
        raise ResourceNotFoundError("Requested resource not found")
    return spec


async def load_item(connection: Connection, table: str, key: tuple[bytes, bytes]) -> bytes | None:
    """The stored bytes of one item, or None."""
    rows = await _rows(
        connection,
        f"SELECT data FROM items WHERE {_ITEM_WHERE}",  # noqa: S608 - fixed fragments only
        (table, partition_hash(key[0]), *key),
    )
    return None if not rows else bytes(rows[0][0])


async def apply_write(
    connection: Connection,
    targets: Sequence[WriteTarget],
    decide: Decide,
    token: tuple[str, str] | None,
    *,
    system: bool,
) -> list[WriteOutcome]:
    """The body of :meth:`Backend.write` (see there)."""
    now = time.time()
    if token is not None and await _replayed(connection, token, now):
        return []
    specs = [await require_spec(connection, target.table) for target in targets]
    keys = [target.encoded_key(spec) for spec, target in zip(specs, targets, strict=True)]
    stored = [
        await load_item(connection, spec.name, key) for spec, key in zip(specs, keys, strict=True)
    ]
    outcomes, changes = decide_changes(specs, targets, keys, stored, decide)
    for change in changes:
        await _store(connection, change, now, system=system)
    return outcomes


async def _replayed(connection: Connection, token: tuple[str, str], now: float) -> bool:
    await connection.execute("DELETE FROM tokens WHERE created_at < %s", (now - TOKEN_TTL_SECONDS,))
    rows = await _rows(connection, "SELECT fingerprint FROM tokens WHERE token = %s", (token[0],))
    if not rows:
        await connection.execute("INSERT INTO tokens VALUES (%s, %s, %s)", (*token, now))
        return False
    if rows[0][0] != token[1]:
        raise IdempotentParameterMismatchError(
            "The request uses the same client token as a previous, but non-identical request."
        )
    return True


async def _store(connection: Connection, change: ItemChange, now: float, *, system: bool) -> None:
    """Write (or delete) one item, its index entries and its change record."""
    table, (pk, sk) = change.spec.name, change.key
    where = (table, change.hash, pk, sk)
    if change.new is None:
        await connection.execute(f"DELETE FROM items WHERE {_ITEM_WHERE}", where)  # noqa: S608 - fixed fragments only
    elif change.old is not None:
        await connection.execute(
            f"UPDATE items SET ttl = %s, size = %s, data = %s WHERE {_ITEM_WHERE}",  # noqa: S608 - fixed fragments only
            (change.ttl, change.size, change.new_data, *where),
        )
    else:
        await connection.execute(
            "INSERT INTO items (tbl, hash, pk, sk, ttl, size, data)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (*where, change.ttl, change.size, change.new_data),
        )
    for index, ipk, isk, ihash in change.dropped_entries():
        await connection.execute(
            "DELETE FROM index_entries WHERE tbl = %s AND idx = %s AND hash = %s"
            " AND pk = %s AND sk = %s AND tpk = %s AND tsk = %s",
            (table, index, ihash, ipk, isk, pk, sk),
        )
    for entry in change.added_entries():
        await _put_entry(connection, table, (pk, sk), entry)
    await connection.execute(
        "INSERT INTO changes (seq, tbl, keys, event, old, new, created_at, system)"  # noqa: S608 - fixed fragments only
        f" VALUES ({LATEST_SEQ} + 1, %s, %s, %s, %s, %s, %s, %s)",
        (
            table,
            change.keys_data(),
            change.event,
            *change.feed_images(),
            now,
            system,
        ),
    )


async def _put_entry(
    connection: Connection, table: str, key: tuple[bytes, bytes], entry: IndexEntry
) -> None:
    await connection.execute(
        "INSERT INTO index_entries (tbl, idx, hash, pk, sk, tpk, tsk, size, data)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (tbl, idx, hash, pk, sk, tpk, tsk)"
        " DO UPDATE SET size = excluded.size, data = excluded.data",
        (
            table,
            entry.index,
            entry.hash,
            entry.partition,
            entry.sort,
            *key,
            entry.size,
            entry.data,
        ),
    )


async def import_items(connection: Connection, spec: TableSpec, items: Sequence[Item]) -> None:
    """Store new ``items`` with their index entries and no change record (moving a store)."""
    for item in items:
        pk, sk = spec.encode_key(item)
        await connection.execute(
            "INSERT INTO items (tbl, hash, pk, sk, ttl, size, data)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                spec.name,
                partition_hash(pk),
                pk,
                sk,
                ttl_of(spec, item),
                item_size(item),
                encode_item(item),
            ),
        )
        for entry in index_entries(spec, item):
            await _put_entry(connection, spec.name, (pk, sk), entry)


async def continue_feed_after(connection: Connection, seq: int) -> None:
    """Make the next change number greater than ``seq`` (a moved store keeps its numbers)."""
    await connection.execute(
        "UPDATE meta SET value = greatest(value, %s) WHERE name = 'feed_floor'", (seq,)
    )


async def insert_table(connection: Connection, spec: TableSpec, created_at: float) -> None:
    """Add a table to the catalog."""
    if await load_spec(connection, spec.name) is not None:
        raise ResourceInUseError(f"Table already exists: {spec.name}")
    await connection.execute(
        "INSERT INTO tables VALUES (%s, %s, %s)", (spec.name, spec_to_json(spec), created_at)
    )


async def replace_table(connection: Connection, spec: TableSpec) -> None:
    """Store a changed spec, back-filling new indexes and recomputing TTL values.

    A table that becomes ``KEYS_ONLY`` also loses the images already in the feed.
    """
    old = await require_spec(connection, spec.name)
    if spec.stream_view == "KEYS_ONLY" and old.stream_view != "KEYS_ONLY":
        await connection.execute(
            "UPDATE changes SET old = NULL, new = NULL WHERE tbl = %s", (spec.name,)
        )
    old_indexes = {index.name for index in old.indexes}
    kept = {index.name for index in spec.indexes}
    for name in old_indexes - kept:
        await connection.execute(
            "DELETE FROM index_entries WHERE tbl = %s AND idx = %s", (spec.name, name)
        )
    added = [index for index in spec.indexes if index.name not in old_indexes]
    if added or spec.ttl_attribute != old.ttl_attribute:
        rows = await _rows(
            connection, "SELECT hash, pk, sk, data FROM items WHERE tbl = %s", (spec.name,)
        )
        backfills = [spec.with_changes(indexes=(index,)) for index in added]
        for hash_, pk, sk, data in rows:
            item = decode_item(bytes(data))
            await connection.execute(
                f"UPDATE items SET ttl = %s WHERE {_ITEM_WHERE}",  # noqa: S608 - fixed fragments only
                (ttl_of(spec, item), spec.name, hash_, pk, sk),
            )
            for backfill in backfills:
                # DynamoDB's back-fill skips (and reports) items whose attribute has the
                # wrong type for the new index key; later writes of them are refused.
                with contextlib.suppress(ValidationError):
                    for entry in index_entries(backfill, item):
                        await _put_entry(connection, spec.name, (bytes(pk), bytes(sk)), entry)
    await connection.execute(
        "UPDATE tables SET spec = %s WHERE name = %s", (spec_to_json(spec), spec.name)
    )


async def delete_table(connection: Connection, name: str) -> None:
    """Remove a table, its items and index entries."""
    await require_spec(connection, name)
    for statement in (
        "DELETE FROM items WHERE tbl = %s",
        "DELETE FROM index_entries WHERE tbl = %s",
        "DELETE FROM tables WHERE name = %s",
    ):
        await connection.execute(statement, (name,))


async def prune_changes(connection: Connection, older_than: float) -> int:
    """Delete change records created before ``older_than``; numbering goes on past them."""
    rows = await _rows(
        connection,
        "SELECT coalesce("
        "(SELECT seq FROM changes WHERE created_at >= %s ORDER BY seq LIMIT 1),"
        " (SELECT max(seq) + 1 FROM changes))",
        (older_than,),
    )
    cutoff = rows[0][0]
    if cutoff is None:
        return 0  # the feed is empty
    cursor = await connection.execute("DELETE FROM changes WHERE seq < %s", (cutoff,))
    if cursor.rowcount:
        await connection.execute(
            "UPDATE meta SET value = greatest(value, %s) WHERE name = 'feed_floor'", (cutoff - 1,)
        )
    return cursor.rowcount
