"""Throttle state persisted in the document store, so limits survive restarts.

Each key (``account:…``, ``address:…``, ``mail:…``) is one item holding its recent
failure times; the item's TTL drops it once its window has passed.
"""

from __future__ import annotations

from decimal import Decimal

from auth.system_tables import THROTTLE_TABLE, TTL_ATTRIBUTE, number
from auth.throttle import FailureLog
from storage import DocumentStore

__all__ = ["StoreThrottleRepository"]


class StoreThrottleRepository:
    """A :class:`~auth.throttle.ThrottleRepository` on the document store."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def get(self, key: str) -> FailureLog | None:
        item = await self._store.get_item(THROTTLE_TABLE, {"key": key})
        if item is None:
            return None
        failures = item.get("failures")
        if not isinstance(failures, list):
            return None
        return FailureLog(tuple(float(str(t)) for t in failures if isinstance(t, Decimal)))

    async def put(self, key: str, log: FailureLog, *, expires_at: float) -> None:
        await self._store.put_item(
            THROTTLE_TABLE,
            {
                "key": key,
                "failures": [number(t) for t in log.failures],
                TTL_ATTRIBUTE: Decimal(int(expires_at) + 1),
            },
        )

    async def delete(self, key: str) -> None:
        await self._store.delete_item(THROTTLE_TABLE, {"key": key})
