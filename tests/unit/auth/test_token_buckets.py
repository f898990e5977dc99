"""The arithmetic of shared token buckets and their leases (auth.token_buckets), with the
time given; and leases racing on one store (auth.stored_buckets)."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from typing import Any

import pytest

from auth.stored_buckets import StoreBucketStore
from auth.system_tables import BUDGETS_TABLE, TTL_ATTRIBUTE
from auth.token_buckets import BucketPolicy, BucketState, Lease, LeaseRefusal, lease_from
from storage import DocumentStore, Item, SqliteConfig, open_store
from storage.errors import StorageBusyError

PER_MINUTE = BucketPolicy(600)  # refills 10 a second; chunks of 30


def test_a_missing_bucket_is_full_and_refills_up_to_the_budget_never_beyond() -> None:
    assert PER_MINUTE.refilled(None, 1000.0) == 600
    assert PER_MINUTE.refilled(BucketState(0.0, 1000.0), 1003.0) == 30
    assert PER_MINUTE.refilled(BucketState(100.0, 1000.0), 1010.5) == 205
    assert PER_MINUTE.refilled(BucketState(100.0, 1000.0), 5000.0) == 600


def test_a_clock_behind_the_writer_refills_nothing() -> None:
    assert PER_MINUTE.refilled(BucketState(12.0, 1000.0), 990.0) == 12


@pytest.mark.parametrize(
    ("per_minute", "chunk"), [(600, 30.0), (1_000_000, 50_000.0), (304, 15.2), (10, 1.0)]
)
def test_a_chunk_is_five_percent_of_the_budget_and_at_least_one(
    per_minute: int, chunk: float
) -> None:
    assert BucketPolicy(per_minute).chunk == pytest.approx(chunk)


def test_a_lease_takes_a_chunk_and_the_bucket_keeps_the_rest() -> None:
    outcome, written = lease_from(None, 1000.0, 1, PER_MINUTE)
    assert outcome == Lease(30.0)
    assert written == BucketState(570.0, 1000.0)


def test_a_lease_takes_the_cost_asked_for_when_it_is_more_than_a_chunk() -> None:
    outcome, written = lease_from(BucketState(570.0, 1000.0), 1000.0, 101, PER_MINUTE)
    assert outcome == Lease(101.0)
    assert written == BucketState(469.0, 1000.0)


def test_a_lease_takes_what_is_left_when_less_than_a_chunk_yet_enough() -> None:
    outcome, written = lease_from(BucketState(12.5, 1000.0), 1000.0, 10, PER_MINUTE)
    assert outcome == Lease(12.5)
    assert written == BucketState(0.0, 1000.0)


def test_a_lease_counts_the_refill_since_the_stored_time() -> None:
    # 2 units stored 1.5 s ago: 2 + 15 = 17, a lease of 17 (less than a chunk).
    outcome, written = lease_from(BucketState(2.0, 1000.0), 1001.5, 5, PER_MINUTE)
    assert outcome == Lease(17.0)
    assert written == BucketState(0.0, 1001.5)


def test_a_refusal_writes_nothing_and_says_what_the_bucket_holds() -> None:
    outcome, written = lease_from(BucketState(0.0, 1000.0), 1002.0, 101, PER_MINUTE)
    assert outcome == LeaseRefusal(available=20.0)
    assert written is None
    # 81 missing at 10 a second: 8.1 s, rounded up.
    assert PER_MINUTE.retry_after(101, 20.0) == 9


def test_the_wait_is_at_least_a_second_and_at_most_a_full_refill() -> None:
    assert PER_MINUTE.retry_after(101, 100.99) == 1
    # More than the budget can ever hold: the wait for a full bucket, not forever.
    assert PER_MINUTE.retry_after(10_000, 0.0) == 60


def test_a_writer_behind_keeps_the_stored_time() -> None:
    _, written = lease_from(BucketState(100.0, 1000.0), 995.0, 1, PER_MINUTE)
    assert written == BucketState(70.0, 1000.0)


def test_the_units_left_are_rounded_down_to_the_millisecond_precision_of_the_store() -> None:
    # 50 µs refill 0.0005 units: not kept, the store could only round them up.
    _, written = lease_from(BucketState(100.0, 1000.0), 1000.00005, 1, PER_MINUTE)
    assert written is not None
    assert written.tokens == 70.0
    outcome, written = lease_from(None, 1000.0, 1, BucketPolicy(7))  # chunk of 1
    assert outcome == Lease(1.0)
    assert written == BucketState(6.0, 1000.0)


def test_an_emptied_bucket_expires_when_it_would_be_full_again() -> None:
    assert PER_MINUTE.seconds_to_full(0.0) == 60
    assert PER_MINUTE.seconds_to_full(570.0) == 3


def test_a_budget_of_nothing_is_not_a_policy() -> None:
    with pytest.raises(ValueError, match="per_minute"):
        BucketPolicy(0)


class SlowReads:
    """A store whose reads answer late, so racing leases all read before any writes."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def get_item(self, *args: Any, **kwargs: Any) -> Item | None:
        item = await self._store.get_item(*args, **kwargs)
        await asyncio.sleep(0.01)
        return item


async def test_racing_leases_on_one_store_never_take_more_than_the_bucket(tmp_path: Path) -> None:
    async with open_store(SqliteConfig(tmp_path / "budgets.sqlite3", synchronous="NORMAL")) as db:
        slow: Any = SlowReads(db)
        processes = [StoreBucketStore(slow) for _ in range(2)]
        policy = BucketPolicy(300)  # chunks of 15: twenty leases empty it
        outcomes = await asyncio.gather(
            *(processes[n % 2].lease("k", 1, 1000.0, policy) for n in range(40)),
            return_exceptions=True,
        )
        granted = sum(o.units for o in outcomes if isinstance(o, Lease))
        item = await db.get_item(BUDGETS_TABLE, {"key": "k"})
    assert 0 < granted <= 300
    assert item is not None
    assert float(str(item["tokens"])) == 300 - granted
    assert all(isinstance(o, Lease | LeaseRefusal | StorageBusyError) for o in outcomes)


async def test_a_bucket_expires_once_it_would_be_full_again_and_the_sweeper_drops_it(
    tmp_path: Path,
) -> None:
    async with open_store(SqliteConfig(tmp_path / "budgets.sqlite3", synchronous="NORMAL")) as db:
        buckets = StoreBucketStore(db)
        now = time.time()
        await buckets.lease("idle", 1, now - 120, BucketPolicy(600))  # 30 taken 2 min ago
        await buckets.lease("busy", 600, now, BucketPolicy(600))  # emptied just now
        idle = await db.get_item(BUDGETS_TABLE, {"key": "idle"})
        assert idle is not None
        # Full again 3 s after it was written (30 units at 10 a second), with a margin.
        assert int(str(idle[TTL_ATTRIBUTE])) == math.ceil(now - 120 + 3) + 2
        await db.sweep_expired()
        assert await db.get_item(BUDGETS_TABLE, {"key": "idle"}) is None
        assert await db.get_item(BUDGETS_TABLE, {"key": "busy"}) is not None
