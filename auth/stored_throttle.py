"""Attempt slots persisted in the document store, so limits survive restarts and hold
across every API process sharing the store.

Each key (``account:…``, ``address:…``, ``mail:…``) is one item of ``_baas_throttle``
whose attributes ``s0``, ``s1``, … hold the time each slot was taken; its TTL drops it
once its window has passed. Taking the slots of one attempt is one conditional
transaction, atomic in every backend (see :mod:`auth.attempt_limits`); so is freeing
them after a success.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from auth.attempt_limits import (
    Refusal,
    Reservation,
    SlotRequest,
    free_slot,
    refusal,
    wait_for_slot,
)
from auth.system_tables import THROTTLE_TABLE, TTL_ATTRIBUTE, number
from storage import DocumentStore, Item, TransactDelete, TransactGet, TransactUpdate
from storage.errors import ConditionalCheckFailedError, TransactionCanceledError

__all__ = ["StoreAttemptStore"]

# The TTL sweeper may run a little early for an item whose newest slot was taken in the
# same second by a racing writer that set a slightly lower expiry: keep a margin.
_TTL_MARGIN = 2
_LOST_RACE = (ConditionalCheckFailedError, TransactionCanceledError)


class StoreAttemptStore:
    """An :class:`~auth.attempt_limits.AttemptStore` on the document store."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def reserve(
        self, requests: Sequence[SlotRequest], now: float
    ) -> tuple[Reservation, ...] | Refusal:
        taken_at = number(now)
        # Each lost race means another attempt took one of these slots, so this ends
        # within as many rounds as there are slots; past that, refuse (fail closed).
        for _ in range(sum(policy.max_failures for _, policy in requests) + 2):
            reads = [TransactGet(THROTTLE_TABLE, {"key": key}) for key, _ in requests]
            items = await self._store.transact_get(reads)
            writes: list[TransactUpdate] = []
            reservations: list[Reservation] = []
            waits: list[int] = []
            for (key, policy), item in zip(requests, items, strict=True):
                times = _slot_times(item)
                slot = free_slot(times, now, policy)
                if slot is None:
                    waits.append(wait_for_slot(times, now, policy))
                    continue
                reservations.append(Reservation(key, slot, float(taken_at)))
                writes.append(
                    TransactUpdate(
                        THROTTLE_TABLE,
                        {"key": key},
                        "SET #s = :at, #ttl = :ttl",
                        condition="attribute_not_exists(#s) OR #s <= :cutoff",
                        names={"#s": _slot_name(slot), "#ttl": TTL_ATTRIBUTE},
                        values={
                            ":at": taken_at,
                            ":cutoff": number(now - policy.window),
                            ":ttl": Decimal(int(now + policy.window) + _TTL_MARGIN),
                        },
                    )
                )
            if waits:
                return refusal(waits)  # nothing taken anywhere
            try:
                await self._store.transact_write(writes)
            except _LOST_RACE:
                continue
            return tuple(reservations)
        return Refusal(1)

    async def finish(
        self, *, release: Sequence[Reservation] = (), clear: Sequence[str] = ()
    ) -> None:
        releases = [
            TransactUpdate(
                THROTTLE_TABLE,
                {"key": reservation.key},
                "REMOVE #s",
                condition="#s = :at",
                names={"#s": _slot_name(reservation.slot)},
                values={":at": number(reservation.taken_at)},
            )
            for reservation in release
            if reservation.key not in clear
        ]
        clears: list[TransactDelete | TransactUpdate] = [
            TransactDelete(THROTTLE_TABLE, {"key": key}) for key in clear
        ]
        if not clears and not releases:
            return
        try:
            await self._store.transact_write([*clears, *releases])
        except _LOST_RACE:
            # A slot was cleared, or taken again after its window: free the rest alone.
            for write in [*clears, *releases]:
                try:
                    await self._store.transact_write([write])
                except _LOST_RACE:
                    continue


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
