"""Single-item write operations, prepared for the backend's atomic write.

Each of put, update, delete and condition-check is validated and parsed up front
(outside the write lock) into a :class:`PreparedWrite`, whose ``apply`` turns the
current item into the new one inside the write transaction, raising
ConditionalCheckFailedError when the condition fails. A single operation is a
write of one; a transaction applies several (see ``transactions.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from storage.backend import KEEP, WriteTarget
from storage.errors import ConditionalCheckFailedError, ValidationError
from storage.expressions import (
    Placeholders,
    parse_condition,
    parse_update,
    project_paths,
)
from storage.tables import TableSpec, index_key
from storage.values import MAX_ITEM_BYTES, Item, ItemInput, item_size, validate_item

__all__ = [
    "PreparedWrite",
    "check_return_values",
    "placeholders_for",
    "prepare_check",
    "prepare_delete",
    "prepare_put",
    "prepare_update",
    "returned_attributes",
    "validated_item",
]

_INVALID = "One or more parameter values were invalid: "
Names = Mapping[str, str] | None
Values = ItemInput | None


@dataclass(frozen=True)
class PreparedWrite:
    """One item's part in a write: its key and how to compute its new state."""

    target: WriteTarget
    apply: Callable[[Item | None], Any]  # -> Item | None | KEEP; may raise
    update_paths: tuple[Any, ...] = ()


def placeholders_for(names: Names, values: Values) -> Placeholders:
    """The request's placeholders, with ExpressionAttributeValues validated like items."""
    return Placeholders(names, validate_item(dict(values)) if values else None)


def check_return_values(value: str, allowed: tuple[str, ...], message: str) -> None:
    """Refuse a ReturnValues setting the operation does not support."""
    if value not in allowed:
        raise ValidationError(message)


def validated_item(spec: TableSpec, item: object, *, update: bool = False) -> Item:
    """A normalised item that satisfies the table's key schema and DynamoDB's limits."""
    return _validated(spec, item, update=update)[0]


def _validated(
    spec: TableSpec, item: object, *, update: bool = False
) -> tuple[Item, tuple[bytes, bytes], int]:
    """:func:`validated_item`, with the encoded key and the size it computed on the way."""
    valid = validate_item(item)
    encoded = spec.encode_key(valid)
    size = item_size(valid)
    if size > MAX_ITEM_BYTES:
        raise ValidationError(
            "Item size to update has exceeded the maximum allowed size"
            if update
            else "Item size has exceeded the maximum allowed size"
        )
    for index in spec.indexes:
        index_key(index, valid)  # refuses a mistyped index key attribute
    return valid, encoded, size


def _target(
    spec: TableSpec,
    key: Item,
    encoded: tuple[bytes, bytes],
    sized: tuple[Item, int] | None = None,
) -> WriteTarget:
    return WriteTarget(spec.name, key, encoded, (spec.partition_key, spec.sort_key), sized)


def _condition(
    text: str | None, placeholders: Placeholders, on_failure: str
) -> Callable[[Item | None], None]:
    check_return_values(
        on_failure,
        ("NONE", "ALL_OLD"),
        "1 validation error detected: Value at 'returnValuesOnConditionCheckFailure' "
        "failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
    )
    if text is None:
        return lambda old: None
    condition = parse_condition(text, placeholders)

    def check(old: Item | None) -> None:
        if not condition.evaluate(old if old is not None else {}):
            raise ConditionalCheckFailedError(item=old if on_failure == "ALL_OLD" else None)

    return check


def prepare_put(
    spec: TableSpec,
    item: ItemInput,
    condition: str | None,
    names: Names,
    values: Values,
    on_failure: str,
) -> PreparedWrite:
    """Validate a PutItem."""
    new, encoded, size = _validated(spec, item)
    placeholders = placeholders_for(names, values)
    check = _condition(condition, placeholders, on_failure)
    placeholders.check_all_used()

    def apply(old: Item | None) -> Item:
        check(old)
        return new

    return PreparedWrite(_target(spec, spec.key_of(new), encoded, (new, size)), apply)


def prepare_delete(
    spec: TableSpec,
    key: ItemInput,
    condition: str | None,
    names: Names,
    values: Values,
    on_failure: str,
) -> PreparedWrite:
    """Validate a DeleteItem: if the condition holds, the item becomes absent (None)."""
    return _conditional_on_key(spec, key, condition, names, values, on_failure, outcome=None)


def prepare_check(
    spec: TableSpec,
    key: ItemInput,
    condition: str,
    names: Names,
    values: Values,
    on_failure: str,
) -> PreparedWrite:
    """Validate a ConditionCheck (transactions only): the item is kept as it is."""
    return _conditional_on_key(spec, key, condition, names, values, on_failure, outcome=KEEP)


def _conditional_on_key(
    spec: TableSpec,
    key: ItemInput,
    condition: str | None,
    names: Names,
    values: Values,
    on_failure: str,
    *,
    outcome: Any,
) -> PreparedWrite:
    valid_key = validate_item(key)
    encoded = spec.validate_key(valid_key)
    placeholders = placeholders_for(names, values)
    check = _condition(condition, placeholders, on_failure)
    placeholders.check_all_used()

    def apply(old: Item | None) -> Any:
        check(old)
        return outcome

    return PreparedWrite(_target(spec, valid_key, encoded), apply)


def prepare_update(
    spec: TableSpec,
    key: ItemInput,
    update: str,
    condition: str | None,
    names: Names,
    values: Values,
    on_failure: str,
) -> PreparedWrite:
    """Validate an UpdateItem; key attributes cannot be updated."""
    valid_key = validate_item(key)
    encoded = spec.validate_key(valid_key)
    placeholders = placeholders_for(names, values)
    parsed = parse_update(update, placeholders)
    check = _condition(condition, placeholders, on_failure)
    placeholders.check_all_used()
    for path in parsed.paths:
        if path and path[0] in spec.key_names():
            raise ValidationError(
                f"{_INVALID}Cannot update attribute {path[0]}. This attribute is part of the key"
            )

    def apply(old: Item | None) -> Item:
        check(old)
        return validated_item(
            spec, parsed.apply(dict(old) if old is not None else dict(valid_key)), update=True
        )

    return PreparedWrite(_target(spec, valid_key, encoded), apply, tuple(parsed.paths))


def returned_attributes(
    return_values: str, old: Item | None, new: Item | None, paths: tuple[Any, ...] = ()
) -> Item | None:
    """What ReturnValues asks for, given the item before and after the write."""
    if return_values == "ALL_OLD":
        return old
    if return_values == "ALL_NEW":
        return new
    if return_values == "UPDATED_OLD":
        source = old
    elif return_values == "UPDATED_NEW":
        source = new
    else:
        return None
    if source is None:
        return None
    result: Item = project_paths(source, list(paths))
    return result or None
