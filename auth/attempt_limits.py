"""Attempt limits that hold under a burst: at most N attempts per key in any window.

Each key (an account, a client address, an email's mail budget…) has ``max_failures``
*slots*, each holding the time it was last taken. An attempt first **reserves** a slot
— one whose time is empty or at least ``window`` seconds old — with one conditional
write (``attribute_not_exists(slot) OR slot <= now - window``), and only then does the
slow or secret work (a password hash, a code comparison, a mail). Because taking a slot
is atomic in the store, two attempts can never take the same slot, so at most
``max_failures`` attempts run in any ``window`` seconds whatever the concurrency and
across every API process sharing the store (threat: a burst of guesses all checked
before any is counted). A refused attempt learns when the oldest slot frees.

What a finished attempt does with its slot is the caller's choice: a failure keeps it
(it counts for ``window`` seconds), a success may ``release`` it or ``clear`` the key.

Taking a slot costs one read and one conditional write; a write that loses a race
re-reads and tries another free slot, and each loss means another attempt took a slot,
so the retries are bounded by ``max_failures``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "AttemptStore",
    "InMemoryAttemptStore",
    "Refusal",
    "Reservation",
    "ThrottlePolicy",
    "free_slot",
    "wait_for_slot",
]


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """At most ``max_failures`` attempts in any ``window`` seconds."""

    max_failures: int
    window: float

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window <= 0:
            raise ValueError("max_failures must be >= 1 and window > 0")


@dataclass(frozen=True, slots=True)
class Reservation:
    """A slot taken at ``taken_at`` (epoch seconds, to the millisecond)."""

    key: str
    slot: int
    taken_at: float


@dataclass(frozen=True, slots=True)
class Refusal:
    """Every slot is taken; one frees in ``retry_after`` seconds (at least 1)."""

    retry_after: int


SlotTimes = Sequence[float | None]


def free_slot(times: SlotTimes, now: float, policy: ThrottlePolicy) -> int | None:
    """A slot an attempt at ``now`` may take (random among the free, to spread racing
    writers), or None when all ``max_failures`` were taken within the window."""
    free = [
        slot
        for slot in range(policy.max_failures)
        if slot >= len(times) or (at := times[slot]) is None or now - at >= policy.window
    ]
    return random.choice(free) if free else None  # noqa: S311 - spreading, not secrecy


def wait_for_slot(times: SlotTimes, now: float, policy: ThrottlePolicy) -> int:
    """Seconds until the oldest taken slot frees (whole, at least 1)."""
    taken = [at for at in times[: policy.max_failures] if at is not None]
    oldest = min(taken, default=now)
    return max(1, math.ceil(oldest + policy.window - now))


class AttemptStore(Protocol):
    """Where slots live. ``reserve`` must be atomic across every process that shares it."""

    async def reserve(
        self, key: str, policy: ThrottlePolicy, now: float
    ) -> Reservation | Refusal: ...

    async def release(self, reservation: Reservation) -> None:
        """Free the slot if it still holds this reservation."""

    async def clear(self, key: str) -> None:
        """Free every slot of ``key``."""


class InMemoryAttemptStore:
    """An :class:`AttemptStore` in a dict: unit tests and single-process tools only.

    Atomic within one event loop: ``reserve`` never awaits between reading and taking.
    """

    def __init__(self) -> None:
        self.slots: dict[str, dict[int, float]] = {}

    async def reserve(self, key: str, policy: ThrottlePolicy, now: float) -> Reservation | Refusal:
        taken = self.slots.setdefault(key, {})
        times = [taken.get(slot) for slot in range(policy.max_failures)]
        slot = free_slot(times, now, policy)
        if slot is None:
            return Refusal(wait_for_slot(times, now, policy))
        taken[slot] = round(now, 3)
        return Reservation(key, slot, taken[slot])

    async def release(self, reservation: Reservation) -> None:
        taken = self.slots.get(reservation.key, {})
        if taken.get(reservation.slot) == reservation.taken_at:
            del taken[reservation.slot]

    async def clear(self, key: str) -> None:
        self.slots.pop(key, None)
