"""Table and index specifications, their validation, and key extraction.

A :class:`TableSpec` is what ``create_table`` takes and what the catalog stores (as
JSON). The helpers here turn an item into its encoded table key and index keys, the
only schema knowledge a backend needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from storage.errors import ValidationError
from storage.keys import encode_key_value
from storage.values import Item, type_of

__all__ = [
    "IndexProjection",
    "IndexSpec",
    "KeyAttribute",
    "StreamViewType",
    "TableDescription",
    "TableSpec",
    "spec_from_json",
    "spec_to_json",
    "validate_name",
]

KeyType = Literal["S", "N", "B"]
# What the change feed keeps of a write (DynamoDB's StreamViewType, the two kinds used).
StreamViewType = Literal["NEW_AND_OLD_IMAGES", "KEYS_ONLY"]
_STREAM_VIEWS = ("NEW_AND_OLD_IMAGES", "KEYS_ONLY")
_NAME = re.compile(r"[a-zA-Z0-9_.\-]+")
_MAX_PARTITION_KEY_BYTES = 2048
_MAX_SORT_KEY_BYTES = 1024
_MAX_INDEXES = 20
_INVALID = "One or more parameter values were invalid: "


@dataclass(frozen=True)
class KeyAttribute:
    """One key attribute: its name and DynamoDB scalar type (S, N or B)."""

    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class IndexProjection:
    """Which attributes a GSI copies: ALL, KEYS_ONLY, or INCLUDE ``non_key_attributes``."""

    type: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index."""

    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    projection: IndexProjection = field(default_factory=IndexProjection)


@dataclass(frozen=True)
class TableSpec:
    """A table: key schema, global secondary indexes, TTL and version attributes, feed view.

    ``version_attribute`` names a change counter the store raises on every write (see
    :mod:`storage.versions`); DynamoDB has no such thing, so its API never shows it.

    ``stream_view`` is what the change feed records of each write: both images, or
    with ``KEYS_ONLY`` the item's key alone (like DynamoDB's StreamViewType). Tables
    that hold secrets or password hashes use ``KEYS_ONLY``, so the feed never keeps a
    copy of them (threat: old secrets lingering in the feed after they were replaced).
    """

    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = None
    version_attribute: str | None = None
    stream_view: StreamViewType = "NEW_AND_OLD_IMAGES"

    def index(self, name: str) -> IndexSpec:
        """The index called ``name``; ValidationError if there is none (as DynamoDB)."""
        for index in self.indexes:
            if index.name == name:
                return index
        raise ValidationError(f"The table does not have the specified index: {name}")

    def key_names(self) -> tuple[str, ...]:
        """The names of the table's key attributes."""
        if self.sort_key is None:
            return (self.partition_key.name,)
        return (self.partition_key.name, self.sort_key.name)

    def key_of(self, item: Item) -> Item:
        """The primary key attributes of an item."""
        return {name: item[name] for name in self.key_names()}

    def encode_key(self, item: Mapping[str, object]) -> tuple[bytes, bytes]:
        """The encoded (partition, sort) key of an item or key; sort is b"" without one.

        Raises DynamoDB's ValidationError for a missing, mistyped, empty or oversized key.
        """
        pk = _encode_key_part(item, self.partition_key, _MAX_PARTITION_KEY_BYTES, "hashkey")
        if self.sort_key is None:
            return pk, b""
        return pk, _encode_key_part(item, self.sort_key, _MAX_SORT_KEY_BYTES, "range keys")

    def validate_key(self, key: Mapping[str, object]) -> tuple[bytes, bytes]:
        """Check that ``key`` holds exactly the key attributes; return it encoded.

        ``key`` need not be normalised first (ints are accepted for N).
        """
        if set(key) != set(self.key_names()):
            raise ValidationError("The provided key element does not match the schema")
        return self.encode_key(key)

    def with_changes(self, **changes: Any) -> TableSpec:
        """A copy with some fields replaced."""
        return replace(self, **changes)


@dataclass(frozen=True)
class TableDescription:
    """What ``describe_table`` returns."""

    spec: TableSpec
    item_count: int
    size_bytes: int
    created_at: float
    status: str = "ACTIVE"


def index_key(index: IndexSpec, item: Item) -> tuple[bytes, bytes] | None:
    """The encoded key of ``item`` in ``index``, or None when the item is not indexed.

    An item lacking an index key attribute is simply absent from the index; one whose
    index key attribute has the wrong type is refused, as DynamoDB does.
    """
    parts: list[bytes] = []
    for attribute in (index.partition_key, index.sort_key):
        if attribute is None:
            parts.append(b"")
            continue
        value = item.get(attribute.name, _MISSING)
        if value is _MISSING:
            return None
        if type_of(value) != attribute.type:
            raise ValidationError(
                _INVALID
                + f"Type mismatch for Index Key {attribute.name} Expected: {attribute.type} "
                f"Actual: {type_of(value)} IndexName: {index.name}"
            )
        if value in ("", b""):
            raise ValidationError(
                _INVALID + "The update expression attempted to update a secondary index key "
                f"to a value that is not supported. The AttributeValue for a key attribute "
                f"cannot contain an empty string value. IndexName: {index.name}, "
                f"IndexKey: {attribute.name}"
            )
        parts.append(encode_key_value(value, attribute.type))
    return parts[0], parts[1]


def project_for_index(spec: TableSpec, index: IndexSpec, item: Item) -> Item:
    """The attributes of ``item`` that ``index`` stores."""
    if index.projection.type == "ALL":
        return item
    keep = set(spec.key_names()) | {index.partition_key.name}
    if index.sort_key is not None:
        keep.add(index.sort_key.name)
    if index.projection.type == "INCLUDE":
        keep.update(index.projection.non_key_attributes)
    return {name: value for name, value in item.items() if name in keep}


_MISSING: Any = object()


def _encode_key_part(
    item: Mapping[str, object], attribute: KeyAttribute, limit: int, label: str
) -> bytes:
    # On the path of every request: the common, valid case is checked first and cheaply.
    value = item.get(attribute.name, _MISSING)
    kind = attribute.type
    if kind == "S" and isinstance(value, str):
        encoded = value.encode()
    elif kind == "B" and isinstance(value, bytes | bytearray):
        encoded = bytes(value)
    elif kind == "N" and isinstance(value, Decimal | int) and not isinstance(value, bool):
        encoded = encode_key_value(Decimal(value) if isinstance(value, int) else value, "N")
    elif value is _MISSING:
        raise ValidationError(_INVALID + f"Missing the key {attribute.name} in the item")
    else:
        raise ValidationError(
            _INVALID
            + f"Type mismatch for key {attribute.name} expected: {kind} actual: {type_of(value)}"
        )
    if not encoded:
        raise ValidationError(
            "One or more parameter values are not valid. The AttributeValue for a key "
            f"attribute cannot contain an empty {'string' if kind == 'S' else 'binary'} "
            f"value. Key: {attribute.name}"
        )
    if len(encoded) > limit:
        raise ValidationError(
            _INVALID + f"Size of {label} has exceeded the maximum size limit of {limit} bytes"
        )
    return encoded


def validate_name(name: object, what: str = "tableName") -> str:
    """Check a table or index name against DynamoDB's rules (3-255 of [a-zA-Z0-9_.-])."""
    if not isinstance(name, str):
        raise ValidationError(f"1 validation error detected: Value at '{what}' must be a string")
    prefix = (
        f"1 validation error detected: Value '{name}' at '{what}' failed to satisfy constraint: "
    )
    if len(name) < 3:
        raise ValidationError(prefix + "Member must have length greater than or equal to 3")
    if len(name) > 255:
        raise ValidationError(prefix + "Member must have length less than or equal to 255")
    if not _NAME.fullmatch(name):
        raise ValidationError(
            prefix + "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    return name


def validate_spec(spec: TableSpec) -> None:
    """Check a whole table spec before it is created."""
    validate_name(spec.name)
    _check_key_attribute(spec.partition_key)
    if spec.sort_key is not None:
        _check_key_attribute(spec.sort_key)
    if len(spec.indexes) > _MAX_INDEXES:
        raise ValidationError("One or more parameter values were invalid: Too many indexes")
    names = [index.name for index in spec.indexes]
    if len(set(names)) != len(names):
        raise ValidationError(_INVALID + "Duplicate index name")
    for index in spec.indexes:
        validate_index(index)
    if spec.ttl_attribute is not None and not spec.ttl_attribute:
        raise ValidationError("TimeToLiveSpecification AttributeName may not be empty")
    if spec.version_attribute is not None and (
        not spec.version_attribute or spec.version_attribute in spec.key_names()
    ):
        raise ValidationError(_INVALID + "The version attribute must be a non-key attribute")
    if spec.stream_view not in _STREAM_VIEWS:
        raise ValidationError(_INVALID + f"Unknown StreamViewType: {spec.stream_view}")


def validate_index(index: IndexSpec) -> None:
    """Check one GSI specification."""
    validate_name(index.name, "indexName")
    _check_key_attribute(index.partition_key)
    if index.sort_key is not None:
        _check_key_attribute(index.sort_key)
    if index.projection.type not in ("ALL", "KEYS_ONLY", "INCLUDE"):
        raise ValidationError(_INVALID + f"Unknown ProjectionType: {index.projection.type}")
    if index.projection.type != "INCLUDE" and index.projection.non_key_attributes:
        raise ValidationError(
            _INVALID + "ProjectionType is not INCLUDE, but NonKeyAttributes is specified"
        )


def _check_key_attribute(attribute: KeyAttribute) -> None:
    if not attribute.name:
        raise ValidationError(_INVALID + "Empty key attribute name")
    if attribute.type not in ("S", "N", "B"):
        raise ValidationError(
            _INVALID + f"Invalid KeyType or AttributeType {attribute.type}; use S, N or B"
        )


def spec_to_json(spec: TableSpec) -> str:
    """The catalog form of a spec."""

    def key(attribute: KeyAttribute | None) -> list[str] | None:
        return None if attribute is None else [attribute.name, attribute.type]

    document: dict[str, Any] = {
        "name": spec.name,
        "pk": key(spec.partition_key),
        "sk": key(spec.sort_key),
        "ttl": spec.ttl_attribute,
        "version": spec.version_attribute,
        "indexes": [
            {
                "name": index.name,
                "pk": key(index.partition_key),
                "sk": key(index.sort_key),
                "projection": index.projection.type,
                "include": list(index.projection.non_key_attributes),
            }
            for index in spec.indexes
        ],
    }
    if spec.stream_view != "NEW_AND_OLD_IMAGES":
        # Only when not the default: the catalog text of every other table is unchanged.
        document["stream"] = spec.stream_view
    return json.dumps(document)


def spec_from_json(text: str) -> TableSpec:
    """The inverse of :func:`spec_to_json`."""
    raw = json.loads(text)

    def key(pair: list[str] | None) -> KeyAttribute | None:
        return None if pair is None else KeyAttribute(pair[0], pair[1])  # type: ignore[arg-type]

    partition_key = key(raw["pk"])
    assert partition_key is not None  # noqa: S101 - the catalog always stores one
    indexes = []
    for index in raw["indexes"]:
        index_pk = key(index["pk"])
        assert index_pk is not None  # noqa: S101
        indexes.append(
            IndexSpec(
                index["name"],
                index_pk,
                key(index["sk"]),
                IndexProjection(index["projection"], tuple(index["include"])),
            )
        )
    return TableSpec(
        raw["name"],
        partition_key,
        key(raw["sk"]),
        tuple(indexes),
        raw["ttl"],
        raw.get("version"),  # absent in catalogs written before version attributes
        raw.get("stream", "NEW_AND_OLD_IMAGES"),
    )
