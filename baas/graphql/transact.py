"""The ``transact`` mutation: several model writes, all or nothing, under the rules.

Each item is prepared exactly like its single mutation (server fields, version bump,
``expectedVersion``, conditions) and the whole list goes to
:meth:`~auth.acting_store.ActingStore.transact_write`, where each item's owner test is
part of its condition. On success the result lists each written item as the caller now
sees it (null for a deletion); on cancellation the error's ``extensions.reasons`` says,
per item, why (``NOT_FOUND`` for an item that is missing or not the caller's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from baas.graphql.context import RequestContext
from baas.graphql.errors import BadRequestError
from baas.graphql.operations import ModelOperations
from baas.graphql.values import item_to_graphql
from baas.graphql.writes import PreparedWrite
from storage import TransactDelete, TransactPut, TransactUpdate

__all__ = ["TransactionItem", "run_transaction"]

TransactionItem = tuple[ModelOperations, str, dict[str, Any]]


async def run_transaction(
    context: RequestContext, items: Sequence[TransactionItem], max_items: int
) -> list[dict[str, Any] | None]:
    """Apply ``items`` (operations, kind, arguments); the written items, in order."""
    if not 1 <= len(items) <= max_items:
        raise BadRequestError(f"A transaction holds from 1 to {max_items} items.")
    store = context.store
    prepared = [(ops, ops.prepare(kind, store, args)) for ops, kind, args in items]
    await store.transact_write([_request(write) for _, write in prepared])
    results: list[dict[str, Any] | None] = []
    for ops, write in prepared:
        if write.kind == "delete":
            results.append(None)
            continue
        item = await store.get_item(write.table, write.key)
        results.append(None if item is None else item_to_graphql(ops.model, item))
    return results


def _request(write: PreparedWrite) -> TransactPut | TransactUpdate | TransactDelete:
    if write.kind == "create" and write.item is not None:
        return TransactPut(write.table, write.item, write.condition, write.names, write.values)
    if write.kind == "update" and write.update is not None:
        return TransactUpdate(
            write.table, write.key, write.update, write.condition, write.names, write.values
        )
    return TransactDelete(write.table, write.key, write.condition, write.names, write.values)
