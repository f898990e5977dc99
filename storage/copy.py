"""Moving a store's data to another store (SQLite to PostgreSQL and back): ``baas store copy``.

Every table is copied with its spec (key schema, indexes, TTL, version attribute, feed
view), system tables included (users, sessions, sealed keys), so the destination
serves the same app with the same accounts. Items are stored as they are, recording no
change (no trigger fires again for old data), and the destination's change numbers go
on after the source's, so checkpoints copied with the data (trigger followers') stay
meaningful. The copy is then verified: each table's item count and an order-free
checksum of its items must be equal on both sides.

The source must not be written meanwhile (stop the API and workers first): a write
during the copy makes the verification fail rather than leave a silent difference.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from storage.errors import ResourceNotFoundError, StorageError
from storage.store import DocumentStore
from storage.tables import TableSpec
from storage.values import Item, Value

__all__ = ["CopyError", "TableCopy", "copy_store", "table_checksum"]

_PAGE = 500
_MASK = (1 << 64) - 1


class CopyError(StorageError):
    """The copy cannot start (destination not empty, specs differ) or did not verify."""

    code = "ValidationException"


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table copied: its name, item count and checksum (equal on both sides)."""

    table: str
    items: int
    checksum: str


async def copy_store(source: DocumentStore, destination: DocumentStore) -> list[TableCopy]:
    """Copy every table of ``source`` into ``destination`` and verify it (see the module)."""
    tables = await source.list_tables()
    specs = [await source.table_spec(name) for name in tables]
    for spec in specs:
        await _prepare(destination, spec)
    for spec in specs:
        await _copy_items(source, destination, spec.name)
    await destination.continue_feed_after(await source.changes.latest_seq())
    copies = []
    for name in tables:
        expected = await table_checksum(source, name)
        copied = await table_checksum(destination, name)
        if copied != expected:
            raise CopyError(
                f"table {name}: {expected[0]} items in the source, {copied[0]} copied, or their "
                "contents differ (was the source written during the copy?)"
            )
        copies.append(TableCopy(name, *expected))
    return copies


async def table_checksum(store: DocumentStore, table: str) -> tuple[int, str]:
    """The number of items of ``table`` and a checksum of them that ignores their order."""
    count, total = 0, 0
    start: Item | None = None
    while True:
        page = await store.scan(table, exclusive_start_key=start, consistent=True)
        for item in page.items:
            digest = hashlib.blake2b(_canonical(item).encode(), digest_size=8).digest()
            total = (total + int.from_bytes(digest, "big")) & _MASK
        count += len(page.items)
        start = page.last_evaluated_key
        if start is None:
            return count, f"{total:016x}"


async def _prepare(destination: DocumentStore, spec: TableSpec) -> None:
    try:
        existing = await destination.table_spec(spec.name)
    except ResourceNotFoundError:
        await destination.create_table(spec)
        return
    if existing != spec:
        raise CopyError(f"table {spec.name} exists in the destination with another definition")
    if (await destination.scan(spec.name, limit=1)).items:
        raise CopyError(f"table {spec.name} already has items in the destination")


async def _copy_items(source: DocumentStore, destination: DocumentStore, table: str) -> None:
    start: Item | None = None
    while True:
        page = await source.scan(table, exclusive_start_key=start, limit=_PAGE, consistent=True)
        if page.items:
            await destination.import_items(table, page.items)
        start = page.last_evaluated_key
        if start is None:
            return


def _canonical(value: Value) -> str:
    """A text that is the same for equal values, whatever the order of maps and sets."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_canonical(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if isinstance(value, set | frozenset):
        return "<" + ",".join(sorted(_canonical(v) for v in value)) + ">"
    if isinstance(value, Decimal):
        return f"N{value.normalize()}"
    return f"{type(value).__name__}{value!r}"
