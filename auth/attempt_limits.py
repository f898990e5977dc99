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

An attempt that counts against several keys (an account *and* an address) takes a slot
on each in one transaction, all or none: a refused attempt takes no slot anywhere.
What a finished attempt does with its slots is the caller's choice: a failure keeps them
(they count for ``window`` seconds), a success may release them or clear a key.

Taking the slots costs one read and one conditional write (a transaction), whatever the
number of keys; a write that loses a race re-reads and tries other free slots, and each
loss means another attempt took a slot, so the retries are bounded by the slots.
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
    "SlotRequest",
    "ThrottlePolicy",
    "free_slot",
    "refusal",
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
SlotRequest = tuple[str, ThrottlePolicy]


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
        self, requests: Sequence[SlotRequest], now: float
    ) -> tuple[Reservation, ...] | Refusal:
        """A slot on every (key, policy), in order, or none at all."""

    async def finish(
        self, *, release: Sequence[Reservation] = (), clear: Sequence[str] = ()
    ) -> None:
        """Free the ``release`` slots that still hold their reservation, and every slot of
        the ``clear`` keys."""


def refusal(waits: Sequence[int]) -> Refusal:
    """The refusal of an attempt whose keys need these waits: the longest counts."""
    return Refusal(max(waits, default=1))


class InMemoryAttemptStore:
    """An :class:`AttemptStore` in a dict: unit tests and single-process tools only.

    Atomic within one event loop: ``reserve`` never awaits between reading and taking.
    """

    def __init__(self) -> None:
        self.slots: dict[str, dict[int, float]] = {}

    async def reserve(
        self, requests: Sequence[SlotRequest], now: float
    ) -> tuple[Reservation, ...] | Refusal:
        chosen: list[tuple[str, int]] = []
        waits: list[int] = []
        for key, policy in requests:
            taken = self.slots.get(key, {})
            times = [taken.get(slot) for slot in range(policy.max_failures)]
            slot = free_slot(times, now, policy)
            if slot is None:
                waits.append(wait_for_slot(times, now, policy))
            else:
                chosen.append((key, slot))
        if waits:
            return refusal(waits)
        at = round(now, 3)
        for key, slot in chosen:
            self.slots.setdefault(key, {})[slot] = at
        return tuple(Reservation(key, slot, at) for key, slot in chosen)

    async def finish(
        self, *, release: Sequence[Reservation] = (), clear: Sequence[str] = ()
    ) -> None:
        for reservation in release:
            taken = self.slots.get(reservation.key, {})
            if taken.get(reservation.slot) == reservation.taken_at:
                del taken[reservation.slot]
        for key in clear:
            self.slots.pop(key, None)
