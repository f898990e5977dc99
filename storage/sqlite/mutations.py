"""What the writer thread does inside a write transaction.

These functions run on the writer's connection, inside the SAVEPOINT of one job,
so everything they do for one request commits or rolls back together: the item
rows, their GSI entries and the change records.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Sequence

from storage.backend import Decide, WriteOutcome, WriteTarget
from storage.codec import decode_item, encode_item
from storage.errors import (
    IdempotentParameterMismatchError,
    ResourceInUseError,
    ResourceNotFoundError,
    ValidationError,
)
from storage.keys import partition_hash
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
    "RowKey",
    "apply_write",
    "continue_feed_after",
    "delete_table",
    "import_items",
    "insert_table",
    "load_item",
    "load_spec",
    "replace_table",
    "row_key",
]

_SPEC_CACHE_SIZE = 1024
_spec_cache: dict[str, TableSpec] = {}


def load_spec(connection: sqlite3.Connection, name: str) -> TableSpec | None:
    """The spec of table ``name`` as this connection sees it (parsed specs are cached)."""
    row = connection.execute("SELECT spec FROM tables WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    text: str = row[0]
    spec = _spec_cache.get(text)
    if spec is None:
        if len(_spec_cache) > _SPEC_CACHE_SIZE:
            _spec_cache.clear()  # specs rarely change: a crude bound is enough
        spec = _spec_cache[text] = spec_from_json(text)
    return spec


def require_spec(connection: sqlite3.Connection, name: str) -> TableSpec:
    """Like :func:`load_spec` but ResourceNotFoundError when absent."""
    spec = load_spec(connection, name)
    if spec is None:
        raise ResourceNotFoundError("Requested resource not found")
    return spec


def apply_write(
    connection: sqlite3.Connection,
    targets: Sequence[WriteTarget],
    decide: Decide,
    token: tuple[str, str] | None,
    *,
    system: bool,
) -> list[WriteOutcome]:
    """The body of :meth:`Backend.write` (see there)."""
    now = time.time()
    if token is not None and _replayed(connection, token, now):
        return []
    specs = [require_spec(connection, target.table) for target in targets]
    keys = [target.encoded_key(spec) for spec, target in zip(specs, targets, strict=True)]
    stored = [
        load_item(connection, row_key(spec.name, key))
        for spec, key in zip(specs, keys, strict=True)
    ]
    outcomes, changes = decide_changes(specs, targets, keys, stored, decide)
    for change in changes:
        _store(connection, change, now, system=system)
    return outcomes


def _replayed(connection: sqlite3.Connection, token: tuple[str, str], now: float) -> bool:
    connection.execute("DELETE FROM tokens WHERE created_at < ?", (now - TOKEN_TTL_SECONDS,))
    row = connection.execute(
        "SELECT fingerprint FROM tokens WHERE token = ?", (token[0],)
    ).fetchone()
    if row is None:
        connection.execute("INSERT INTO tokens VALUES (?, ?, ?)", (token[0], token[1], now))
        return False
    if row[0] != token[1]:
        raise IdempotentParameterMismatchError(
            "The request uses the same client token as a previous, but non-identical request."
        )
    return True


# An item's key in ``items``: table, partition hash, encoded partition and sort key.
RowKey = tuple[str, int, bytes, bytes]


def row_key(table: str, key: tuple[bytes, bytes]) -> RowKey:
    """The ``items`` key of the item with encoded key ``key`` in ``table``."""
    return (table, partition_hash(key[0]), *key)


_ITEM_WHERE = "tbl = ? AND hash = ? AND pk = ? AND sk = ?"


def load_item(connection: sqlite3.Connection, key: RowKey) -> bytes | None:
    """The stored bytes of one item, or None (on any connection, like load_spec)."""
    row = connection.execute(f"SELECT data FROM items WHERE {_ITEM_WHERE}", key).fetchone()  # noqa: S608 - fixed fragments only
    return None if row is None else bytes(row[0])


def _store(connection: sqlite3.Connection, change: ItemChange, now: float, *, system: bool) -> None:
    """Write (or delete) one item, its index entries and its change record."""
    table, (pk, sk) = change.spec.name, change.key
    key = (table, change.hash, pk, sk)
    if change.new is None:
        connection.execute(f"DELETE FROM items WHERE {_ITEM_WHERE}", key)  # noqa: S608 - fixed fragments only
    elif change.old is not None:
        connection.execute(
            f"UPDATE items SET ttl = ?, size = ?, data = ? WHERE {_ITEM_WHERE}",  # noqa: S608 - fixed fragments only
            (change.ttl, change.size, change.new_data, *key),
        )
    else:
        connection.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
            (table, pk, sk, change.hash, change.ttl, change.size, change.new_data),
        )
    for index, ipk, isk, ihash in change.dropped_entries():
        connection.execute(
            "DELETE FROM index_entries WHERE tbl = ? AND idx = ? AND hash = ?"
            " AND pk = ? AND sk = ? AND tpk = ? AND tsk = ?",
            (table, index, ihash, ipk, isk, pk, sk),
        )
    for entry in change.added_entries():
        _put_entry(connection, table, (pk, sk), entry)
    connection.execute(
        _INSERT_CHANGE,
        (table, change.keys_data(), change.event, *change.feed_images(), now, int(system)),
    )


def _put_entry(
    connection: sqlite3.Connection, table: str, key: tuple[bytes, bytes], entry: IndexEntry
) -> None:
    connection.execute(
        "INSERT OR REPLACE INTO index_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (table, entry.index, entry.partition, entry.sort, *key, entry.hash, entry.size, entry.data),
    )


def import_items(connection: sqlite3.Connection, spec: TableSpec, items: Sequence[Item]) -> None:
    """Store new ``items`` with their index entries and no change record (moving a store)."""
    for item in items:
        pk, sk = spec.encode_key(item)
        connection.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                spec.name,
                pk,
                sk,
                partition_hash(pk),
                ttl_of(spec, item),
                item_size(item),
                encode_item(item),
            ),
        )
        for entry in index_entries(spec, item):
            _put_entry(connection, spec.name, (pk, sk), entry)


def continue_feed_after(connection: sqlite3.Connection, seq: int) -> None:
    """Make the next change number greater than ``seq`` (a moved store keeps its numbers)."""
    connection.execute(
        "INSERT INTO meta VALUES ('feed_floor', ?)"
        " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
        (seq,),
    )


# The latest change number: the highest record's, or the highest pruned one's when the
# feed was emptied (see schema.py). A record is numbered one past it, so a number is
# never given twice.
LATEST_SEQ = (
    "max(coalesce((SELECT max(seq) FROM changes), 0),"
    " coalesce((SELECT value FROM meta WHERE name = 'feed_floor'), 0))"
)
_INSERT_CHANGE = (
    "INSERT INTO changes (seq, tbl, keys, event, old, new, created_at, system)"  # noqa: S608 - fixed fragments only
    f" VALUES ({LATEST_SEQ} + 1, ?, ?, ?, ?, ?, ?, ?)"
)


def insert_table(connection: sqlite3.Connection, spec: TableSpec, created_at: float) -> None:
    """Add a table to the catalog."""
    if load_spec(connection, spec.name) is not None:
        raise ResourceInUseError(f"Table already exists: {spec.name}")
    connection.execute(
        "INSERT INTO tables VALUES (?, ?, ?)", (spec.name, spec_to_json(spec), created_at)
    )


def replace_table(connection: sqlite3.Connection, spec: TableSpec) -> None:
    """Store a changed spec, back-filling new indexes and recomputing TTL values.

    A table that becomes ``KEYS_ONLY`` also loses the images already in the feed.
    """
    old = require_spec(connection, spec.name)
    if spec.stream_view == "KEYS_ONLY" and old.stream_view != "KEYS_ONLY":
        connection.execute("UPDATE changes SET old = NULL, new = NULL WHERE tbl = ?", (spec.name,))
    old_indexes = {index.name for index in old.indexes}
    kept = {index.name for index in spec.indexes}
    for name in old_indexes - kept:
        connection.execute("DELETE FROM index_entries WHERE tbl = ? AND idx = ?", (spec.name, name))
    added = [index for index in spec.indexes if index.name not in old_indexes]
    if added or spec.ttl_attribute != old.ttl_attribute:
        rows = connection.execute(
            "SELECT hash, pk, sk, data FROM items WHERE tbl = ?", (spec.name,)
        ).fetchall()
        backfills = [spec.with_changes(indexes=(index,)) for index in added]
        for hash_, pk, sk, data in rows:
            item = decode_item(data)
            connection.execute(
                f"UPDATE items SET ttl = ? WHERE {_ITEM_WHERE}",  # noqa: S608 - fixed fragments only
                (ttl_of(spec, item), spec.name, hash_, pk, sk),
            )
            for backfill in backfills:
                # DynamoDB's back-fill skips (and reports) items whose attribute has the
                # wrong type for the new index key; later writes of them are refused.
                with contextlib.suppress(ValidationError):
                    for entry in index_entries(backfill, item):
                        _put_entry(connection, spec.name, (pk, sk), entry)
    connection.execute("UPDATE tables SET spec = ? WHERE name = ?", (spec_to_json(spec), spec.name))


def delete_table(connection: sqlite3.Connection, name: str) -> None:
    """Remove a table, its items and index entries."""
    require_spec(connection, name)
    for statement in (
        "DELETE FROM items WHERE tbl = ?",
        "DELETE FROM index_entries WHERE tbl = ?",
        "DELETE FROM tables WHERE name = ?",
    ):
        connection.execute(statement, (name,))
