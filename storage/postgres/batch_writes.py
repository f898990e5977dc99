"""Many item writes in two round trips: the PostgreSQL writer's fast path.

The writer holds the store's write lock for its whole transaction, so the writes of a
batch can be decided one after another in Python against the items as the database
holds them *plus* what earlier writes of the batch changed (an overlay), and only then
sent, together. One round trip reads the tables' specs, the items every write targets
and the latest change number (pipelined); ``decide`` runs for each write in order; one
more round trip stores the outcome (pipelined ``executemany``): each key's final row,
its index entries, and one change record per change, numbered in order. A write whose
``decide`` refuses (a failed condition) changes nothing and fails alone.

Writes that carry a ClientRequestToken take the one-by-one path
(:func:`storage.postgres.mutations.apply_write`), which also records the token.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.backend import Decide, WriteTarget
from storage.errors import ResourceNotFoundError
from storage.keys import partition_hash
from storage.postgres.mutations import LATEST_SEQ, spec_of
from storage.postgres.schema import Connection
from storage.tables import TableSpec
from storage.write_plan import ItemChange, decide_changes

__all__ = ["WriteRequest", "apply_writes"]

# (table, encoded partition key, encoded sort key): one item.
_Key = tuple[str, bytes, bytes]
Outcome = tuple[Any, BaseException | None]


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """One :meth:`Backend.write` without a token, waiting in a batch."""

    targets: Sequence[WriteTarget]
    decide: Decide
    system: bool


async def apply_writes(
    connection: Connection,
    requests: Sequence[WriteRequest],
    *,
    prelude: Sequence[tuple[str, tuple[Any, ...]]] = (),
) -> list[Outcome]:
    """Apply ``requests`` in order inside the writer's transaction; one outcome each.

    ``prelude`` statements (the writer's BEGIN and lock) are sent first, in the same
    round trip as the reads.
    """
    tables = sorted({target.table for request in requests for target in request.targets})
    specs, stored, latest = await _read(connection, tables, requests, prelude)
    overlay: dict[_Key, bytes | None] = dict(stored)
    changes: list[tuple[ItemChange, bool]] = []
    outcomes: list[Outcome] = []
    for request in requests:
        try:
            request_specs = [_spec(specs, target.table) for target in request.targets]
            keys = [
                target.encoded_key(spec)
                for spec, target in zip(request_specs, request.targets, strict=True)
            ]
            items = [
                overlay[(spec.name, *key)] for spec, key in zip(request_specs, keys, strict=True)
            ]
            written, decided = decide_changes(
                request_specs, request.targets, keys, items, request.decide
            )
        except Exception as exc:  # noqa: BLE001 - the request's own failure, its caller's
            outcomes.append((None, exc))
            continue
        for change in decided:
            overlay[(change.spec.name, *change.key)] = change.new_data
        changes.extend((change, request.system) for change in decided)
        outcomes.append((written, None))
    if changes:
        await _store(connection, changes, latest)
    return outcomes


async def _read(
    connection: Connection,
    tables: list[str],
    requests: Sequence[WriteRequest],
    prelude: Sequence[tuple[str, tuple[Any, ...]]],
) -> tuple[dict[str, TableSpec], dict[_Key, bytes | None], int]:
    """The specs, every targeted item (None: absent) and the latest change number."""
    known = [
        (target.table, *target.encoded)
        for request in requests
        for target in request.targets
        if target.encoded is not None
    ]
    async with connection.pipeline():
        for statement, parameters in prelude:
            await connection.execute(statement, parameters)
        spec_rows = await connection.execute(
            "SELECT name, spec FROM tables WHERE name = ANY(%s)", (tables,)
        )
        latest_row = await connection.execute(f"SELECT {LATEST_SEQ}")
        item_rows = await connection.execute(*_items_query(known))
    specs = {name: spec_of(text) for name, text in await spec_rows.fetchall()}
    stored = _found(known, await item_rows.fetchall())
    row = await latest_row.fetchone()
    latest = int(row[0]) if row is not None else 0
    # Targets prepared without their encoded key, or for a table since recreated with
    # other key attributes: read those now that the specs are known.
    missing = [
        (spec.name, *target.encoded_key(spec))
        for request in requests
        for target in request.targets
        if (spec := specs.get(target.table)) is not None
        and (spec.name, *target.encoded_key(spec)) not in stored
    ]
    if missing:
        cursor = await connection.execute(*_items_query(missing))
        stored |= _found(missing, await cursor.fetchall())
    return specs, stored, latest


_ITEMS = (
    "SELECT tbl, pk, sk, data FROM items WHERE (tbl, hash, pk, sk) IN"
    " (SELECT * FROM unnest(%s::text[], %s::bigint[], %s::bytea[], %s::bytea[]))"
)


def _items_query(keys: list[_Key]) -> tuple[str, tuple[Any, ...]]:
    return (
        _ITEMS,
        (
            [key[0] for key in keys],
            [partition_hash(key[1]) for key in keys],
            [key[1] for key in keys],
            [key[2] for key in keys],
        ),
    )


def _found(keys: list[_Key], rows: list[Any]) -> dict[_Key, bytes | None]:
    found: dict[_Key, bytes | None] = dict.fromkeys(keys)
    for table, pk, sk, data in rows:
        found[(table, bytes(pk), bytes(sk))] = bytes(data)
    return found


def _spec(specs: dict[str, TableSpec], table: str) -> TableSpec:
    spec = specs.get(table)
    if spec is None:
        raise ResourceNotFoundError("Requested resource not found")
    return spec


async def _store(
    connection: Connection, changes: list[tuple[ItemChange, bool]], latest: int
) -> None:
    """Each key's final row and index entries, and every change record, in one round trip."""
    now = time.time()
    first: dict[_Key, ItemChange] = {}
    last: dict[_Key, ItemChange] = {}
    for change, _system in changes:
        key = (change.spec.name, *change.key)
        first.setdefault(key, change)
        last[key] = change
    deleted, upserted, dropped, added = [], [], [], []
    for key, change in last.items():
        table, pk, sk = key
        if change.new is None:
            deleted.append((table, change.hash, pk, sk))
        else:
            upserted.append((table, change.hash, pk, sk, change.ttl, change.size, change.new_data))
        # The entries of the item before the batch go; those of the item after it come.
        dropped += [
            (table, index, ihash, ipk, isk, pk, sk)
            for index, ipk, isk, ihash in first[key].dropped_entries()
        ]
        added += [
            (table, e.index, e.hash, e.partition, e.sort, pk, sk, e.size, e.data)
            for e in change.added_entries()
        ]
    records = [
        (
            latest + number,
            change.spec.name,
            change.keys_data(),
            change.event,
            *change.feed_images(),
            now,
            system,
        )
        for number, (change, system) in enumerate(changes, start=1)
    ]
    async with connection.pipeline(), connection.cursor() as cursor:
        if deleted:
            await cursor.executemany(
                "DELETE FROM items WHERE tbl = %s AND hash = %s AND pk = %s AND sk = %s", deleted
            )
        if upserted:
            await cursor.executemany(
                "INSERT INTO items (tbl, hash, pk, sk, ttl, size, data)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (tbl, hash, pk, sk)"
                " DO UPDATE SET ttl = excluded.ttl, size = excluded.size, data = excluded.data",
                upserted,
            )
        if dropped:
            await cursor.executemany(
                "DELETE FROM index_entries WHERE tbl = %s AND idx = %s AND hash = %s"
                " AND pk = %s AND sk = %s AND tpk = %s AND tsk = %s",
                dropped,
            )
        if added:
            await cursor.executemany(
                "INSERT INTO index_entries (tbl, idx, hash, pk, sk, tpk, tsk, size, data)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (tbl, idx, hash, pk, sk, tpk, tsk)"
                " DO UPDATE SET size = excluded.size, data = excluded.data",
                added,
            )
        await cursor.executemany(
            "INSERT INTO changes (seq, tbl, keys, event, old, new, created_at, system)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            records,
        )
