"""BatchGetItem and BatchWriteItem.

DynamoDB may leave part of a batch unprocessed under load; this store processes
every request, so ``unprocessed_keys`` / ``unprocessed_items`` are empty, but they
exist so callers are written the DynamoDB way. A batch write is applied as one
atomic write (DynamoDB only promises each put or delete is atomic).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from storage.backend import Backend
from storage.errors import ValidationError
from storage.expressions import Placeholders, parse_projection
from storage.operations import prepare_delete, prepare_put
from storage.requests import BatchGet, BatchGetResult, BatchWriteResult, DeleteRequest, PutRequest
from storage.transactions import SpecLookup
from storage.values import Item, validate_item

__all__ = ["MAX_BATCH_GET_KEYS", "MAX_BATCH_WRITE_ITEMS", "batch_get", "batch_write"]

MAX_BATCH_GET_KEYS = 100
MAX_BATCH_WRITE_ITEMS = 25
_DUPLICATES = "Provided list of item keys contains duplicates"


async def batch_get(
    backend: Backend, lookup: SpecLookup, requests: Mapping[str, BatchGet]
) -> BatchGetResult:
    """Read up to 100 items from one or more tables."""
    total = sum(len(request.keys) for request in requests.values())
    if total == 0:
        raise ValidationError(
            "1 validation error detected: Value at 'requestItems' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1"
        )
    if total > MAX_BATCH_GET_KEYS:
        raise ValidationError("Too many items requested for the BatchGetItem call")
    responses: dict[str, list[Item]] = {}
    for table, request in requests.items():
        spec = await lookup(table)
        encoded = [spec.validate_key(validate_item(key)) for key in request.keys]
        if len(set(encoded)) != len(encoded):
            raise ValidationError(_DUPLICATES)
        placeholders = Placeholders(request.names, None)
        projection = (
            parse_projection(request.projection, placeholders) if request.projection else None
        )
        placeholders.check_all_used()
        items = await backend.get_items([(spec, key) for key in encoded])
        responses[table] = [
            item if projection is None else projection.apply(item)
            for item in items
            if item is not None
        ]
    return BatchGetResult(responses)


async def batch_write(
    backend: Backend,
    lookup: SpecLookup,
    requests: Mapping[str, Sequence[PutRequest | DeleteRequest]],
) -> BatchWriteResult:
    """Put or delete up to 25 items in one or more tables."""
    total = sum(len(batch) for batch in requests.values())
    if not 1 <= total <= MAX_BATCH_WRITE_ITEMS:
        raise ValidationError(
            "1 validation error detected: Value at 'requestItems' failed to satisfy "
            "constraint: Map value must satisfy constraint: [Member must have length less "
            "than or equal to 25, Member must have length greater than or equal to 1]"
        )
    prepared = []
    for table, batch in requests.items():
        spec = await lookup(table)
        keys: set[tuple[bytes, bytes]] = set()
        for request in batch:
            if isinstance(request, PutRequest):
                operation = prepare_put(spec, request.item, None, None, None, "NONE")
            elif isinstance(request, DeleteRequest):
                operation = prepare_delete(spec, request.key, None, None, None, "NONE")
            else:
                raise ValidationError("A batch write request must be a PutRequest or DeleteRequest")
            key = operation.target.encoded_key(spec)
            if key in keys:
                raise ValidationError(_DUPLICATES)
            keys.add(key)
            prepared.append(operation)

    def decide(olds: list[Item | None]) -> list[Item | None]:
        return [operation.apply(old) for operation, old in zip(prepared, olds, strict=True)]

    await backend.write([operation.target for operation in prepared], decide)
    return BatchWriteResult()
