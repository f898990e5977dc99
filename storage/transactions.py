"""TransactWriteItems and TransactGetItems.

A transaction is one call of the backend's atomic write: every condition is
evaluated against the current items under the write lock, and either every item
changes or none does. When any item fails, TransactionCanceledError carries one
CancellationReason per item in request order, as DynamoDB does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from storage.backend import Backend
from storage.errors import (
    CancellationReason,
    ConditionalCheckFailedError,
    TransactionCanceledError,
    ValidationError,
)
from storage.expressions import Placeholders, parse_projection
from storage.operations import (
    PreparedWrite,
    prepare_check,
    prepare_delete,
    prepare_put,
    prepare_update,
)
from storage.requests import (
    TransactConditionCheck,
    TransactDelete,
    TransactGet,
    TransactPut,
    TransactUpdate,
    TransactWriteItem,
)
from storage.tables import TableSpec
from storage.values import MAX_ITEM_BYTES, Item, item_size, to_wire, validate_item

__all__ = ["MAX_TRANSACTION_ITEMS", "transact_get", "transact_write"]

MAX_TRANSACTION_ITEMS = 100
# TransactWriteItems: "The aggregate size of the items in the transaction cannot exceed 4 MB."
MAX_AGGREGATE_BYTES = 4 * 1024 * 1024
MAX_ITEMS_UNDER_AGGREGATE = MAX_AGGREGATE_BYTES // MAX_ITEM_BYTES
SpecLookup = Callable[[str], Awaitable[TableSpec]]


def _check_count(count: int, what: str) -> None:
    if count < 1 or count > MAX_TRANSACTION_ITEMS:
        bound = "greater than or equal to 1" if count < 1 else "less than or equal to 100"
        raise ValidationError(
            f"1 validation error detected: Value at '{what}' failed to satisfy constraint: "
            f"Member must have length {bound}"
        )


async def _prepare(spec: TableSpec, request: TransactWriteItem) -> PreparedWrite:
    if isinstance(request, TransactPut):
        return prepare_put(
            spec, request.item, request.condition, request.names, request.values,
            request.return_values_on_condition_check_failure,
        )  # fmt: skip
    if isinstance(request, TransactUpdate):
        return prepare_update(
            spec, request.key, request.update, request.condition, request.names,
            request.values, request.return_values_on_condition_check_failure,
        )  # fmt: skip
    if isinstance(request, TransactDelete):
        return prepare_delete(
            spec, request.key, request.condition, request.names, request.values,
            request.return_values_on_condition_check_failure,
        )  # fmt: skip
    if isinstance(request, TransactConditionCheck):
        return prepare_check(
            spec, request.key, request.condition, request.names, request.values,
            request.return_values_on_condition_check_failure,
        )  # fmt: skip
    raise ValidationError("Unknown transaction item type")


def _aggregate_size(items: list[Any]) -> int:
    return sum(item_size(item) for item in items if isinstance(item, dict))


def _fingerprint(requests: Sequence[TransactWriteItem]) -> str:
    """A digest of the request's parameters, stable across processes (sets sorted)."""
    canonical: list[Any] = []
    for request in requests:
        fields: dict[str, Any] = {"type": type(request).__name__}
        for name, value in vars(request).items():
            if name in ("item", "key"):
                fields[name] = to_wire(validate_item(value))
            elif name == "values" and value is not None:
                fields[name] = to_wire(validate_item(dict(value)))
            elif name == "names" and value is not None:
                fields[name] = dict(value)
            else:
                fields[name] = value
        canonical.append(fields)
    text = json.dumps(canonical, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def transact_write(
    backend: Backend,
    lookup: SpecLookup,
    requests: Sequence[TransactWriteItem],
    client_request_token: str | None,
) -> None:
    """Apply all ``requests`` or none."""
    _check_count(len(requests), "transactItems")
    if client_request_token is not None and not 1 <= len(client_request_token) <= 36:
        raise ValidationError(
            "1 validation error detected: Value at 'clientRequestToken' failed to satisfy "
            "constraint: Member must have length less than or equal to 36"
        )
    prepared = [await _prepare(await lookup(request.table), request) for request in requests]
    seen: set[tuple[str, tuple[bytes, bytes]]] = set()
    for request, operation in zip(requests, prepared, strict=True):
        spec = await lookup(request.table)
        identity = (request.table, operation.target.encoded_key(spec))
        if identity in seen:
            raise ValidationError(
                "Transaction request cannot include multiple operations on one item"
            )
        seen.add(identity)

    def decide(olds: list[Item | None]) -> list[Any]:
        news: list[Any] = []
        reasons: list[CancellationReason] = []
        for operation, old in zip(prepared, olds, strict=True):
            try:
                news.append(operation.apply(old))
                reasons.append(CancellationReason())
            except ConditionalCheckFailedError as exc:
                reasons.append(CancellationReason("ConditionalCheckFailed", exc.message, exc.item))
            except ValidationError as exc:
                reasons.append(CancellationReason("ValidationError", exc.message))
        if any(reason.code != "None" for reason in reasons):
            raise TransactionCanceledError(reasons)
        # Items are at most 400 KB, so only a transaction of more than ten can exceed 4 MB.
        if len(news) > MAX_ITEMS_UNDER_AGGREGATE and _aggregate_size(news) > MAX_AGGREGATE_BYTES:
            raise ValidationError("The aggregate size of the items in the transaction exceeds 4 MB")
        return news

    token = None
    if client_request_token is not None:
        token = (client_request_token, _fingerprint(requests))
    await backend.write([operation.target for operation in prepared], decide, token=token)


async def transact_get(
    backend: Backend, lookup: SpecLookup, requests: Sequence[TransactGet]
) -> list[Item | None]:
    """Read up to 100 items as one snapshot; None for an absent item."""
    _check_count(len(requests), "transactItems")
    reads = []
    projections = []
    for request in requests:
        spec = await lookup(request.table)
        key = validate_item(request.key)
        reads.append((spec, spec.validate_key(key)))
        placeholders = Placeholders(request.names, None)
        projection = (
            parse_projection(request.projection, placeholders) if request.projection else None
        )
        placeholders.check_all_used()
        projections.append(projection)
    items = await backend.get_items(reads)
    return [
        item if item is None or projection is None else projection.apply(item)
        for item, projection in zip(items, projections, strict=True)
    ]
