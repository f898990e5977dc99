"""Token buckets shared by every API process, spent through leases.

A budget of ``per_minute`` units per key (a user, a client address) is a token bucket
that refills ``per_minute`` units a minute up to ``per_minute``. Kept in the store, one
bucket serves every process sharing it; asking the store on every request would cost a
write per request, so a process **leases** units instead: one atomic conditional write
takes a chunk from the shared bucket (:func:`lease_from`), and the process spends it
locally, with no store traffic, until it no longer holds the next cost.

Leased units have left the shared bucket, so all processes together never spend more
than one bucket grants. What a lease adds is only what a process holds unspent: at most
one chunk each (5% of the budget, or the cost that asked for the lease when larger),
which it may spend after the shared bucket is empty.

The arithmetic is here, free of any store, with the time passed in (tests give their
own clock); :mod:`auth.stored_buckets` keeps the buckets in the document store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "BucketPolicy",
    "BucketState",
    "BucketStore",
    "InMemoryBucketStore",
    "Lease",
    "LeaseRefusal",
    "lease_from",
]

# A lease takes this share of the per-minute budget (or the cost asked for, if more).
_CHUNK_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class BucketPolicy:
    """``per_minute`` units a minute, up to ``per_minute`` held; leases of ``chunk``."""

    per_minute: int

    def __post_init__(self) -> None:
        if self.per_minute < 1:
            raise ValueError("per_minute must be >= 1")

    @property
    def chunk(self) -> float:
        """The units a lease takes when the shared bucket holds them."""
        return max(1.0, self.per_minute * _CHUNK_SHARE)

    def refilled(self, state: BucketState | None, now: float) -> float:
        """The units a bucket last written as ``state`` holds at ``now`` (full if none).

        A clock behind the one that wrote ``state`` (another machine) refills nothing.
        """
        if state is None:
            return float(self.per_minute)
        elapsed = max(0.0, now - state.at)
        return min(float(self.per_minute), state.tokens + elapsed * self.per_minute / 60.0)

    def retry_after(self, need: float, available: float) -> int:
        """Whole seconds (at least 1) until a bucket holding ``available`` units holds
        ``need`` (a full bucket, when ``need`` is more than the budget)."""
        missing = min(need, float(self.per_minute)) - available
        return max(1, math.ceil(missing * 60.0 / self.per_minute))

    def seconds_to_full(self, tokens: float) -> float:
        """When a bucket holding ``tokens`` is full again: its item may expire then,
        since a missing bucket counts as full (no row stays for an idle key)."""
        return (self.per_minute - tokens) * 60.0 / self.per_minute


@dataclass(frozen=True, slots=True)
class BucketState:
    """A shared bucket as last written: ``tokens`` units at epoch second ``at``."""

    tokens: float
    at: float


@dataclass(frozen=True, slots=True)
class Lease:
    """``units`` taken from the shared bucket, now this process's to spend."""

    units: float


@dataclass(frozen=True, slots=True)
class LeaseRefusal:
    """The shared bucket held only ``available`` units, fewer than needed (the wait:
    :meth:`BucketPolicy.retry_after`)."""

    available: float


def lease_from(
    state: BucketState | None, now: float, need: float, policy: BucketPolicy
) -> tuple[Lease | LeaseRefusal, BucketState | None]:
    """A lease of at least ``need`` units from a bucket last written as ``state``, and
    the bucket to write back (None: a refusal writes nothing).

    The lease is a chunk (or ``need``, when larger), or what the bucket holds when that
    is less than a chunk yet at least ``need``.
    """
    available = policy.refilled(state, now)
    if need > available:
        return LeaseRefusal(available), None
    units = min(available, max(need, policy.chunk))
    # Never write a time before the one read: a process with a clock behind would
    # otherwise hand the next reader the refill of the difference twice.
    at = now if state is None else max(now, state.at)
    # Rounded down to the store's millisecond precision: rounding never adds units.
    left = math.floor((available - units) * 1000) / 1000
    return Lease(units), BucketState(left, at)


class BucketStore(Protocol):
    """Where shared buckets live. ``lease`` must be atomic across every process."""

    async def lease(
        self, key: str, need: float, now: float, policy: BucketPolicy
    ) -> Lease | LeaseRefusal:
        """Take a lease of at least ``need`` units from ``key``'s bucket, or refuse."""


class InMemoryBucketStore:
    """A :class:`BucketStore` in a dict: unit tests and single-process tools only.

    Atomic within one event loop: ``lease`` never awaits between reading and writing.
    ``leases`` counts the writes (granted leases).
    """

    def __init__(self) -> None:
        self.buckets: dict[str, BucketState] = {}
        self.leases = 0

    async def lease(
        self, key: str, need: float, now: float, policy: BucketPolicy
    ) -> Lease | LeaseRefusal:
        outcome, state = lease_from(self.buckets.get(key), now, need, policy)
        if state is not None:
            self.buckets[key] = state
            self.leases += 1
        return outcome
