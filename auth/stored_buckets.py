"""Token buckets persisted in the document store, shared by every API process.

Each key (``graphql:user:…``, ``graphql:address:…``) is one item of ``_baas_budgets``
holding ``tokens`` and ``at`` (the epoch second they were counted); its TTL drops it
once the bucket would be full again, since a missing bucket counts as full. A lease
(:mod:`auth.token_buckets`) reads the item and writes it back with one conditional
update: the write applies only if the item is still what was read, so two processes
never take the same units. A write that loses the race means another lease went in
first; the lease reads again, a bounded number of times, then fails closed as a busy
store does (``StorageBusyError``: retry later).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from auth.system_tables import BUDGETS_TABLE, TTL_ATTRIBUTE, ensure_system_table, number
from auth.token_buckets import BucketPolicy, BucketState, Lease, LeaseRefusal, lease_from
from storage import DocumentStore, Item, Value
from storage.errors import ConditionalCheckFailedError, StorageBusyError

__all__ = ["StoreBucketStore"]

# Leases of one key racing from every process: each lost round means another won, so a
# few rounds suffice; past them the store is as good as busy for this key.
_ROUNDS = 8
# The TTL sweeper must not drop a bucket a racing writer has just emptied further.
_TTL_MARGIN = 2


class StoreBucketStore:
    """A :class:`~auth.token_buckets.BucketStore` on the document store."""

    def __init__(self, store: DocumentStore | Callable[[], DocumentStore]) -> None:
        self._get_store = store if callable(store) else lambda: store
        self._table_ready = False

    async def lease(
        self, key: str, need: float, now: float, policy: BucketPolicy
    ) -> Lease | LeaseRefusal:
        store = self._get_store()
        if not self._table_ready:  # for an API started without auth's start-up
            await ensure_system_table(store, BUDGETS_TABLE)
            self._table_ready = True
        for _ in range(_ROUNDS):
            item = await store.get_item(BUDGETS_TABLE, {"key": key}, consistent=True)
            read = _state(item)
            outcome, written = lease_from(read, now, need, policy)
            if written is None:
                return outcome
            try:
                await store.update_item(
                    BUDGETS_TABLE,
                    {"key": key},
                    "SET #tokens = :tokens, #at = :at, #ttl = :ttl",
                    condition=_unchanged_since(read),
                    names={"#tokens": "tokens", "#at": "at", "#ttl": TTL_ATTRIBUTE},
                    values={
                        ":tokens": number(written.tokens),
                        ":at": number(written.at),
                        ":ttl": Decimal(
                            math.ceil(written.at + policy.seconds_to_full(written.tokens))
                            + _TTL_MARGIN
                        ),
                        **_read_values(item),
                    },
                )
            except ConditionalCheckFailedError:
                continue
            return outcome
        raise StorageBusyError("The storage backend is busy, retry later")


def _state(item: Item | None) -> BucketState | None:
    if item is None:
        return None
    return BucketState(float(str(item["tokens"])), float(str(item["at"])))


def _unchanged_since(read: BucketState | None) -> str:
    """The condition that the bucket is still as read (or still missing)."""
    if read is None:
        return "attribute_not_exists(#tokens)"
    return "#tokens = :read_tokens AND #at = :read_at"


def _read_values(item: Item | None) -> dict[str, Value]:
    """The values read, exactly as stored, for :func:`_unchanged_since`."""
    if item is None:
        return {}
    return {":read_tokens": item["tokens"], ":read_at": item["at"]}
