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
from decimal import Decimal

from storage.backend import Decide, Keep, WriteOutcome, WriteTarget
from storage.codec import decode_item, encode_item
from storage.errors import (
    IdempotentParameterMismatchError,
    ResourceInUseError,
    ResourceNotFoundError,
    ValidationError,
)
from storage.keys import partition_hash
from storage.tables import TableSpec, index_key, project_for_index, spec_from_json, spec_to_json
from storage.values import Item, item_size
from storage.versions import next_version

__all__ = [
    "LATEST_SEQ",
    "RowKey",
    "apply_write",
    "delete_table",
    "insert_table",
    "load_item",
    "load_spec",
    "replace_table",
    "row_key",
]

# ClientRequestToken validity (DynamoDB TransactWriteItems: 10 minutes).
TOKEN_TTL_SECONDS = 600.0
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
    keys = [
        row_key(spec.name, target.encoded_key(spec))
        for spec, target in zip(specs, targets, strict=True)
    ]
    stored = [load_item(connection, key) for key in keys]
    olds = [None if data is None else decode_item(data) for data in stored]
    news = decide(olds)
    outcomes: list[WriteOutcome] = []
    for spec, target, key, old, data, new in zip(
        specs, targets, keys, olds, stored, news, strict=True
    ):
        if isinstance(new, Keep) or new == old:
            outcomes.append(WriteOutcome(old, old))
            continue
        if new is not None and spec.version_attribute is not None:
            new = next_version(spec.version_attribute, old, new)
        size = 0 if new is None else target.size_of(new)
        _store_item(connection, spec, key, (old, data), (new, size), now, system=system)
        outcomes.append(WriteOutcome(old, new))
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


def _store_item(
    connection: sqlite3.Connection,
    spec: TableSpec,
    key: RowKey,
    before: tuple[Item | None, bytes | None],
    after: tuple[Item | None, int],
    now: float,
    *,
    system: bool,
) -> None:
    """Write (or delete) one item, its index entries and its change record.

    ``before`` is the current item and its stored bytes, reused for the old image;
    ``after`` the new item (None deletes) and its size.
    """
    old, old_data = before
    new, size = after
    new_data = None if new is None else encode_item(new)
    if new is None:
        connection.execute(f"DELETE FROM items WHERE {_ITEM_WHERE}", key)  # noqa: S608 - fixed fragments only
    elif old is not None:
        connection.execute(
            f"UPDATE items SET ttl = ?, size = ?, data = ? WHERE {_ITEM_WHERE}",  # noqa: S608 - fixed fragments only
            (_ttl_of(spec, new), size, new_data, *key),
        )
    else:
        table, hash_, pk, sk = key
        connection.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
            (table, pk, sk, hash_, _ttl_of(spec, new), size, new_data),
        )
    _update_index_entries(connection, spec, (key[2], key[3]), old, new)
    event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    if spec.stream_view == "KEYS_ONLY":
        old_data = new_data = None  # the record names the item, never copies it
    connection.execute(
        _INSERT_CHANGE,
        (
            spec.name,
            encode_item(spec.key_of(new if new is not None else old)),  # type: ignore[arg-type]
            event,
            old_data,
            new_data,
            now,
            int(system),
        ),
    )


# The latest change number: the highest record's, or the highest pruned one's when the
# feed was emptied (see schema.py). A record is numbered one past it, so a number is
# never given twice.
LATEST_SEQ = (
    "coalesce((SELECT max(seq) FROM changes),"
    " (SELECT value FROM meta WHERE name = 'feed_floor'), 0)"
)
_INSERT_CHANGE = (
    "INSERT INTO changes (seq, tbl, keys, event, old, new, created_at, system)"  # noqa: S608 - fixed fragments only
    f" VALUES ({LATEST_SEQ} + 1, ?, ?, ?, ?, ?, ?, ?)"
)


def _ttl_of(spec: TableSpec, item: Item) -> float | None:
    if spec.ttl_attribute is None:
        return None
    value = item.get(spec.ttl_attribute)
    # Only a Number is a TTL (DynamoDB ignores other types for expiry).
    return float(value) if isinstance(value, Decimal) else None


def _update_index_entries(
    connection: sqlite3.Connection,
    spec: TableSpec,
    key: tuple[bytes, bytes],
    old: Item | None,
    new: Item | None,
) -> None:
    for index in spec.indexes:
        if old is not None and (old_key := index_key(index, old)) is not None:
            connection.execute(
                "DELETE FROM index_entries WHERE tbl = ? AND idx = ? AND hash = ?"
                " AND pk = ? AND sk = ? AND tpk = ? AND tsk = ?",
                (spec.name, index.name, partition_hash(old_key[0]), *old_key, *key),
            )
        if new is not None and (new_key := index_key(index, new)) is not None:
            projected = project_for_index(spec, index, new)
            connection.execute(
                "INSERT OR REPLACE INTO index_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spec.name,
                    index.name,
                    *new_key,
                    *key,
                    partition_hash(new_key[0]),
                    item_size(projected),
                    encode_item(projected),
                ),
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
                (_ttl_of(spec, item), spec.name, hash_, pk, sk),
            )
            for backfill in backfills:
                # DynamoDB's back-fill skips (and reports) items whose attribute has the
                # wrong type for the new index key; later writes of them are refused.
                with contextlib.suppress(ValidationError):
                    _update_index_entries(connection, backfill, (pk, sk), None, item)
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
