"""What one atomic write changes, worked out once for every SQL backend.

A backend's write reads the current items of its targets, asks ``decide`` for the new
ones, and then stores each changed item: its row, its index entries, and one change
record. Everything here is independent of the engine: which items changed and how
(the version attribute raised, :mod:`storage.versions`), the encoded bytes, sizes and
TTL of the new rows, the index entries to drop and to add, and the change record's
event. A backend only turns an :class:`ItemChange` into statements of its dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from storage.backend import Decide, Keep, WriteOutcome, WriteTarget
from storage.codec import decode_item, encode_item
from storage.keys import partition_hash
from storage.tables import TableSpec, index_key, project_for_index
from storage.values import Item, item_size
from storage.versions import next_version

__all__ = [
    "TOKEN_TTL_SECONDS",
    "IndexEntry",
    "ItemChange",
    "decide_changes",
    "index_entries",
    "ttl_of",
]

# ClientRequestToken validity (DynamoDB TransactWriteItems: 10 minutes).
TOKEN_TTL_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One GSI/LSI entry of an item: the index's key, its hash, and the projected item."""

    index: str
    partition: bytes
    sort: bytes
    hash: int
    size: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One item a write changes (``new`` None: deleted; ``old`` None: created)."""

    spec: TableSpec
    key: tuple[bytes, bytes]
    hash: int
    old: Item | None
    old_data: bytes | None
    new: Item | None
    new_data: bytes | None
    size: int

    @property
    def event(self) -> str:
        return "INSERT" if self.old is None else "REMOVE" if self.new is None else "MODIFY"

    @property
    def ttl(self) -> float | None:
        return None if self.new is None else ttl_of(self.spec, self.new)

    def feed_images(self) -> tuple[bytes | None, bytes | None]:
        """The old and new images the change record keeps: none for a KEYS_ONLY table."""
        if self.spec.stream_view == "KEYS_ONLY":
            return None, None  # the record names the item, never copies it
        return self.old_data, self.new_data

    def keys_data(self) -> bytes:
        """The encoded key attributes, for the change record."""
        item = self.new if self.new is not None else self.old
        assert item is not None  # noqa: S101 - a change has an item before or after
        return encode_item(self.spec.key_of(item))

    def dropped_entries(self) -> list[tuple[str, bytes, bytes, int]]:
        """(index, partition, sort, hash) of the old item's index entries."""
        if self.old is None:
            return []
        return [
            (index.name, *old_key, partition_hash(old_key[0]))
            for index in self.spec.indexes
            if (old_key := index_key(index, self.old)) is not None
        ]

    def added_entries(self) -> list[IndexEntry]:
        return [] if self.new is None else index_entries(self.spec, self.new)


def decide_changes(
    specs: Sequence[TableSpec],
    targets: Sequence[WriteTarget],
    keys: Sequence[tuple[bytes, bytes]],
    stored: Sequence[bytes | None],
    decide: Decide,
) -> tuple[list[WriteOutcome], list[ItemChange]]:
    """Run ``decide`` on the stored items; the outcomes, and the items that change."""
    olds = [None if data is None else decode_item(data) for data in stored]
    news = decide(olds)
    outcomes: list[WriteOutcome] = []
    changes: list[ItemChange] = []
    for spec, target, key, old, data, new in zip(
        specs, targets, keys, olds, stored, news, strict=True
    ):
        if isinstance(new, Keep) or new == old:
            outcomes.append(WriteOutcome(old, old))
            continue
        if new is not None and spec.version_attribute is not None:
            new = next_version(spec.version_attribute, old, new)
        size = 0 if new is None else target.size_of(new)
        new_data = None if new is None else encode_item(new)
        changes.append(
            ItemChange(spec, key, partition_hash(key[0]), old, data, new, new_data, size)
        )
        outcomes.append(WriteOutcome(old, new))
    return outcomes, changes


def index_entries(spec: TableSpec, item: Item) -> list[IndexEntry]:
    """The entries ``item`` has in each index of ``spec`` (none where it lacks the key)."""
    entries = []
    for index in spec.indexes:
        if (key := index_key(index, item)) is not None:
            projected = project_for_index(spec, index, item)
            entries.append(
                IndexEntry(
                    index.name,
                    *key,
                    partition_hash(key[0]),
                    item_size(projected),
                    encode_item(projected),
                )
            )
    return entries


def ttl_of(spec: TableSpec, item: Item) -> float | None:
    """The item's expiry time, when ``spec`` has a TTL attribute and it holds a Number."""
    if spec.ttl_attribute is None:
        return None
    value = item.get(spec.ttl_attribute)
    # Only a Number is a TTL (DynamoDB ignores other types for expiry).
    return float(value) if isinstance(value, Decimal) else None
