"""Attempt slots persisted in the document store, so limits survive restarts and hold
across every API process sharing the store.

Each key (``account:…``, ``address:…``, ``mail:…``) is one item of ``_baas_throttle``
whose attributes ``s0``, ``s1``, … hold the time each slot was taken; its TTL drops it
once its window has passed. Taking a slot is one conditional ``UpdateItem``, atomic in
every backend (see :mod:`auth.attempt_limits`).
"""

from __future__ import annotations

from decimal import Decimal

from auth.attempt_limits import (
    Refusal,
    Reservation,
    ThrottlePolicy,
    free_slot,
    wait_for_slot,
)
from auth.system_tables import THROTTLE_TABLE, TTL_ATTRIBUTE, number
from storage import DocumentStore, Item
from storage.errors import ConditionalCheckFailedError

__all__ = ["StoreAttemptStore"]

# The TTL sweeper may run a little early for an item whose newest slot was taken in the
# same second by a racing writer that set a slightly lower expiry: keep a margin.
_TTL_MARGIN = 2


class StoreAttemptStore:
    """An :class:`~auth.attempt_limits.AttemptStore` on the document store."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def reserve(self, key: str, policy: ThrottlePolicy, now: float) -> Reservation | Refusal:
        taken_at = number(now)
        values = {
            ":at": taken_at,
            ":cutoff": number(now - policy.window),
            ":ttl": Decimal(int(now + policy.window) + _TTL_MARGIN),
        }
        # Each lost race means another attempt took a slot, so this ends within
        # max_failures rounds; the bound is for safety (then refuse: fail closed).
        for _ in range(policy.max_failures + 2):
            times = _slot_times(await self._store.get_item(THROTTLE_TABLE, {"key": key}))
            slot = free_slot(times, now, policy)
            if slot is None:
                return Refusal(wait_for_slot(times, now, policy))
            try:
                await self._store.update_item(
                    THROTTLE_TABLE,
                    {"key": key},
                    "SET #s = :at, #ttl = :ttl",
                    condition="attribute_not_exists(#s) OR #s <= :cutoff",
                    names={"#s": _slot_name(slot), "#ttl": TTL_ATTRIBUTE},
                    values=values,
                )
            except ConditionalCheckFailedError:
                continue
            return Reservation(key, slot, float(taken_at))
        return Refusal(1)

    async def release(self, reservation: Reservation) -> None:
        try:
            await self._store.update_item(
                THROTTLE_TABLE,
                {"key": reservation.key},
                "REMOVE #s",
                condition="#s = :at",
                names={"#s": _slot_name(reservation.slot)},
                values={":at": number(reservation.taken_at)},
            )
        except ConditionalCheckFailedError:
            return  # cleared, or the slot was taken again after its window

    async def clear(self, key: str) -> None:
        await self._store.delete_item(THROTTLE_TABLE, {"key": key})


def _slot_name(slot: int) -> str:
    return f"s{slot}"


def _slot_times(item: Item | None) -> list[float | None]:
    if item is None:
        return []
    times: list[float | None] = []
    for slot in range(_slots_in(item)):
        value = item.get(_slot_name(slot))
        times.append(float(str(value)) if isinstance(value, Decimal) else None)
    return times


def _slots_in(item: Item) -> int:
    numbered = [name[1:] for name in item if name.startswith("s") and name[1:].isdigit()]
    return max((int(n) + 1 for n in numbered), default=0)
