"""The protocol every storage backend implements.

The :class:`~storage.store.DocumentStore` does everything that does not depend on
the engine — validation, expression parsing, condition and update evaluation,
pagination rules — so a backend only offers a few primitives:

- a table catalog (create, get, list, replace, delete);
- reads: one item by key, an ordered range of one partition of a table or index, and
  a hash-ordered scan of a range of partition hashes;
- ONE atomic write primitive, :meth:`Backend.write`: read the current items for a
  list of keys, hand them to a ``decide`` callback that returns the new items (or
  raises to abort), and store the result together with one change record per
  changed item, all or nothing;
- the change feed: read after a sequence number, wait for new records, prune.

A single put is a ``write`` of one key; a transaction is a ``write`` of many.
The conformance suite in ``tests/integration/storage`` runs against every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from storage.values import item_size

if TYPE_CHECKING:
    from storage.feed import ChangeRecord
    from storage.tables import KeyAttribute, TableDescription, TableSpec
    from storage.values import Item

__all__ = [
    "KEEP",
    "Backend",
    "Decide",
    "Keep",
    "RangeRead",
    "ScanRead",
    "StoredItem",
    "WriteOutcome",
    "WriteTarget",
]


class Keep:
    """Marker returned by ``decide`` for an item that must stay as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep()


@dataclass(frozen=True)
class WriteTarget:
    """One item a write reads and may replace, by its (validated) primary key.

    What preparing the write already computed can come along for the backend to reuse:
    ``encoded``, the key as the table's spec encoded it for the key attributes
    ``schema`` (reused while the table still has them: it may have been recreated in
    between), and ``sized``, the item a put stores with its size (reused when ``decide``
    returns that very item).
    """

    table: str
    key: Item
    encoded: tuple[bytes, bytes] | None = None
    schema: tuple[KeyAttribute, KeyAttribute | None] | None = None
    sized: tuple[Item, int] | None = None

    def encoded_key(self, spec: TableSpec) -> tuple[bytes, bytes]:
        """The target's key encoded for ``spec``, the table's spec in the transaction."""
        if self.encoded is not None and self.schema == (spec.partition_key, spec.sort_key):
            return self.encoded
        return spec.encode_key(self.key)

    def size_of(self, item: Item) -> int:
        """The size of ``item``, the new item decided for this target."""
        if self.sized is not None and self.sized[0] is item:
            return self.sized[1]
        return item_size(item)


Decide = Callable[[list["Item | None"]], Sequence["Item | Keep | None"]]
"""Given the current items (None when absent), the new items (None deletes, KEEP
leaves untouched). Runs inside the write transaction; raising aborts it."""


@dataclass(frozen=True)
class WriteOutcome:
    """The item before and after a write (both None when nothing existed or changed)."""

    old: Item | None
    new: Item | None


@dataclass(frozen=True)
class StoredItem:
    """An item as read, with its stored size (for the 1 MB page cap)."""

    item: Item
    size: int


@dataclass(frozen=True)
class RangeRead:
    """An ordered read of one partition of a table or index.

    Sort bounds are encoded key values with an inclusive flag. ``start_after`` is
    the position of the last item already returned: ``(sort,)`` on a table,
    ``(index_sort, table_partition, table_sort)`` on an index.
    """

    index: str | None
    partition: bytes
    lower: tuple[bytes, bool] | None
    upper: tuple[bytes, bool] | None
    forward: bool
    start_after: tuple[bytes, ...] | None
    limit: int


@dataclass(frozen=True)
class ScanRead:
    """A read in partition-hash order over hashes ``hash_low <= h < hash_high``.

    ``start_after`` is ``(hash, partition, sort)`` on a table and
    ``(hash, index_partition, index_sort, table_partition, table_sort)`` on an index.
    """

    index: str | None
    hash_low: int
    hash_high: int
    start_after: tuple[Any, ...] | None
    limit: int


class Backend(Protocol):
    """The primitives a storage engine offers the document store."""

    async def close(self) -> None:
        """Release connections and threads."""

    async def create_table(self, spec: TableSpec, created_at: float) -> None:
        """Add a table to the catalog; ResourceInUseError if it exists."""

    async def get_table(self, name: str) -> TableSpec | None:
        """The current spec of a table, or None."""

    async def list_tables(self) -> list[str]:
        """All table names, sorted."""

    async def describe_table(self, name: str) -> TableDescription:
        """Spec and statistics; ResourceNotFoundError if absent."""

    async def replace_table(self, spec: TableSpec) -> None:
        """Store a changed spec: back-fill added indexes, drop removed ones, re-read TTL."""

    async def delete_table(self, name: str) -> None:
        """Remove a table and all its items and index entries."""

    async def get_item(self, spec: TableSpec, key: tuple[bytes, bytes]) -> Item | None:
        """One item by encoded key; always sees every acknowledged write."""

    async def get_items(
        self, keys: Sequence[tuple[TableSpec, tuple[bytes, bytes]]]
    ) -> list[Item | None]:
        """Several items by encoded key, read as one consistent snapshot."""

    async def query(self, spec: TableSpec, read: RangeRead) -> list[StoredItem]:
        """Up to ``read.limit`` items of one partition, in key order."""

    async def scan(self, spec: TableSpec, read: ScanRead) -> list[StoredItem]:
        """Up to ``read.limit`` items in hash order."""

    async def write(
        self,
        targets: Sequence[WriteTarget],
        decide: Decide,
        *,
        token: tuple[str, str] | None = None,
        system: bool = False,
    ) -> list[WriteOutcome]:
        """Apply ``decide`` to the current items atomically, appending change records.

        ``token`` is (client request token, request fingerprint): a token seen in the
        last 10 minutes with the same fingerprint makes the write a no-op, with another
        fingerprint raises IdempotentParameterMismatchError. ``system`` marks the change
        records as system deletes (TTL).
        """

    async def expired_keys(self, spec: TableSpec, now: float, limit: int) -> list[Item]:
        """Keys of items whose TTL lies in ``[now - 5 years, now)``."""

    async def read_changes(
        self, after_seq: int, limit: int, tables: Collection[str] | None = None
    ) -> list[ChangeRecord]:
        """Change records with ``seq > after_seq`` in order (of ``tables`` only, if given)."""

    async def latest_seq(self) -> int:
        """The highest committed sequence number (0 when none)."""

    async def wait_changes(self, after_seq: int, timeout: float) -> bool:  # noqa: ASYNC109 - the feed API takes a timeout, like DynamoDB Streams readers
        """Wait until a record with ``seq > after_seq`` exists; False on timeout."""

    async def prune_changes(self, older_than: float) -> int:
        """Delete change records created before ``older_than``; returns how many."""

    async def import_items(self, spec: TableSpec, items: Sequence[Item]) -> None:
        """Store new ``items`` as they are, with no change records: moving a store."""

    async def continue_feed_after(self, seq: int) -> None:
        """Number every later change record above ``seq``: a moved store keeps its numbers."""

    async def compact(self) -> None:
        """Rewrite the stored data without the space deleted or replaced data left behind."""
