"""Key ranges: key conditions, start keys and scan segments as encoded bounds.

Everything here turns DynamoDB request parameters into the byte strings and hash
ranges a backend compares (see ``storage.keys`` for the encodings).
"""

from __future__ import annotations

from typing import Any

from storage.errors import ValidationError
from storage.keys import HASH_SPACE, encode_key_value, partition_hash, prefix_successor
from storage.tables import IndexSpec, KeyAttribute, TableSpec
from storage.values import ItemInput, Value, type_of, validate_item

__all__ = [
    "check_start_key",
    "encode_operand",
    "segment_range",
    "sort_bounds",
    "start_position",
]

_INVALID = "One or more parameter values were invalid: "
# An encoded key bound and whether it is inclusive; None when unbounded.
Bound = tuple[bytes, bool] | None


def start_position(spec: TableSpec, index: IndexSpec | None, key: ItemInput) -> tuple[Any, ...]:
    """(hash, partition, sort[, table partition, table sort]) of an item or start key."""
    try:
        item = validate_item(key)
        table_key = spec.encode_key(item)
        if index is None:
            return (partition_hash(table_key[0]), *table_key)
        index_pk = encode_key_value(item[index.partition_key.name], index.partition_key.type)
        index_sk = (
            encode_key_value(item[index.sort_key.name], index.sort_key.type)
            if index.sort_key
            else b""
        )
    except (ValidationError, KeyError):
        raise ValidationError("The provided starting key is invalid") from None
    return (partition_hash(index_pk), index_pk, index_sk, *table_key)


def check_start_key(spec: TableSpec, index: IndexSpec | None, key: ItemInput) -> None:
    """Refuse an ExclusiveStartKey holding other attributes than the key's, as DynamoDB does.

    The key of a page is the table's key (plus the index's on an index); an attribute
    beyond those is a sign of a key built by hand from an item, and is refused.
    """
    allowed = {spec.partition_key.name}
    for attribute in (spec.sort_key, *((index.partition_key, index.sort_key) if index else ())):
        if attribute is not None:
            allowed.add(attribute.name)
    if not set(key) <= allowed:
        raise ValidationError(
            "The provided starting key is invalid: "
            "The provided key element does not match the schema"
        )


def encode_operand(value: Value, attribute: KeyAttribute) -> bytes:
    if type_of(value) != attribute.type:
        raise ValidationError(f"{_INVALID}Condition parameter type does not match schema type")
    return encode_key_value(value, attribute.type)


def sort_bounds(op: str, values: tuple[Value, ...], attribute: KeyAttribute) -> tuple[Bound, Bound]:
    if op == "BEGINS_WITH" and attribute.type == "N":
        raise ValidationError(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or "
            "function; operator or function: begins_with, operand type: N"
        )
    encoded = [encode_operand(value, attribute) for value in values]
    bounds: dict[str, tuple[Bound, Bound]] = {
        "=": ((encoded[0], True), (encoded[0], True)),
        "<": (None, (encoded[0], False)),
        "<=": (None, (encoded[0], True)),
        ">": ((encoded[0], False), None),
        ">=": ((encoded[0], True), None),
    }
    if op in bounds:
        return bounds[op]
    if op == "BETWEEN":
        if encoded[0] > encoded[1]:
            raise ValidationError(
                "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound "
                "to be greater than or equal to lower bound"
            )
        return (encoded[0], True), (encoded[1], True)
    successor = prefix_successor(encoded[0])
    return (encoded[0], True), None if successor is None else (successor, False)


def segment_range(segment: int | None, total: int | None) -> tuple[int, int]:
    if segment is None and total is None:
        return 0, HASH_SPACE
    if total is None:
        raise ValidationError(
            "The TotalSegments parameter is required but was not present in the request "
            "when Segment parameter is present"
        )
    if segment is None:
        raise ValidationError(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present"
        )
    if not 1 <= total <= 1_000_000:
        raise ValidationError(
            f"1 validation error detected: Value '{total}' at 'totalSegments' failed to "
            "satisfy constraint: Member must have value between 1 and 1000000"
        )
    if not 0 <= segment < total:
        raise ValidationError(
            "The Segment parameter is zero-based and must be less than parameter "
            f"TotalSegments: Segment: {segment} is out of bounds with TotalSegments: {total}"
        )
    return segment * HASH_SPACE // total, (segment + 1) * HASH_SPACE // total
