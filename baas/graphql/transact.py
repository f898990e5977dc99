"""The ``transact`` mutation: several model writes, all or nothing, under the rules.

Each item is prepared exactly like its single mutation (values converted, conditions,
``expectedVersion``) and the whole list goes to
:meth:`~auth.acting_store.ActingStore.transact_write`, which applies the model's write
rules to each item as to a single write and makes each item's owner test part of its
condition. On success the result lists each written item as the caller now
sees it (null for a deletion); on cancellation the error's ``extensions.reasons`` says,
per item, why (``NOT_FOUND`` for an item that is missing or not the caller's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auth.model_writes import with_expected_version
from baas.graphql.context import RequestContext
from baas.graphql.errors import BadRequestError
from baas.graphql.operations import ModelOperations
from baas.graphql.writes import PreparedWrite
from storage import TransactDelete, TransactPut, TransactUpdate
from storage.expressions import ExpressionBuilder

__all__ = ["TransactionItem", "run_transaction"]

TransactionItem = tuple[ModelOperations, str, dict[str, Any]]


async def run_transaction(
    context: RequestContext, items: Sequence[TransactionItem], max_items: int
) -> list[dict[str, Any] | None]:
    """Apply ``items`` (operations, kind, arguments); the written items, in order."""
    if not 1 <= len(items) <= max_items:
        raise BadRequestError(f"A transaction holds from 1 to {max_items} items.")
    store = context.store
    for ops, _, args in items:
        ops.check_filter(ops.view(store.caller), args.get("condition"))
    prepared = [(ops, ops.prepare(kind, args)) for ops, kind, args in items]
    keys = await store.transact_write([_request(write) for _, write in prepared])
    results: list[dict[str, Any] | None] = []
    for (ops, write), key in zip(prepared, keys, strict=True):
        if write.kind == "delete":
            results.append(None)
            continue
        item = await store.get_item(write.table, key)
        results.append(None if item is None else ops.view(store.caller)(item))
    return results


def _request(write: PreparedWrite) -> TransactPut | TransactUpdate | TransactDelete:
    if write.kind == "create" and write.item is not None:
        return TransactPut(write.table, write.item, write.condition, write.names, write.values)
    condition, names, values = with_expected_version(
        write.expected_version,
        write.condition,
        write.names,
        write.values,
        ExpressionBuilder(prefix="ev"),  # the filter's are #n<i>/:v<i>: no collision
    )
    if write.kind == "update":
        return TransactUpdate(write.table, write.key, write.update or "", condition, names, values)
    return TransactDelete(write.table, write.key, condition, names, values)
