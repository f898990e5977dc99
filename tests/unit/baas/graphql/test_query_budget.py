"""The per-caller cost budget (baas.graphql.query_budget): leases from shared buckets,
spent locally, one lease request at a time, with an injected clock."""

from __future__ import annotations

import asyncio

import pytest

from auth.token_buckets import BucketPolicy, InMemoryBucketStore, Lease, LeaseRefusal
from baas.graphql.query_budget import CostBudget, RateLimitedError
from storage.errors import StorageBusyError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowBuckets(InMemoryBucketStore):
    """Buckets whose leases wait for ``release``, as a store round trip would."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.asked = 0

    async def lease(
        self, key: str, need: float, now: float, policy: BucketPolicy
    ) -> Lease | LeaseRefusal:
        self.asked += 1
        await self.release.wait()
        return await super().lease(key, need, now, policy)


class FailingBuckets(InMemoryBucketStore):
    async def lease(
        self, key: str, need: float, now: float, policy: BucketPolicy
    ) -> Lease | LeaseRefusal:
        raise StorageBusyError("The storage backend is unavailable, retry later")


async def test_a_budget_serves_what_it_holds_then_says_when_to_retry() -> None:
    clock = Clock()
    budget = CostBudget(600, InMemoryBucketStore(), clock=clock)  # refills 10 per second
    for _ in range(6):
        await budget.reserve("user:a", 100)
    with pytest.raises(RateLimitedError) as refused:
        await budget.reserve("user:a", 100)
    assert refused.value.retry_after == 10
    assert refused.value.extensions == {"cost": 100, "retryAfter": 10}
    await budget.reserve("user:b", 600)  # another caller's budget is their own
    clock.now += 9.0
    with pytest.raises(RateLimitedError):
        await budget.reserve("user:a", 100)
    clock.now += 1.0
    await budget.reserve("user:a", 100)
    clock.now += 3600.0  # refills up to the budget, never beyond
    for _ in range(6):
        await budget.reserve("user:a", 100)
    with pytest.raises(RateLimitedError):
        await budget.reserve("user:a", 1)


async def test_a_refused_reservation_takes_nothing() -> None:
    budget = CostBudget(60, InMemoryBucketStore(), clock=Clock())
    with pytest.raises(RateLimitedError):
        await budget.reserve("address:1.2.3.4", 61)
    await budget.reserve("address:1.2.3.4", 60)


async def test_no_budget_when_it_is_zero_and_no_store_traffic() -> None:
    buckets = FailingBuckets()  # would fail any lease
    budget = CostBudget(0, buckets, clock=Clock())
    for _ in range(100):
        await budget.reserve("user:a", 10**9)


async def test_cheap_operations_spend_one_lease_without_asking_again() -> None:
    buckets = InMemoryBucketStore()
    budget = CostBudget(600, buckets, clock=Clock())  # chunks of 30
    for _ in range(30):
        await budget.reserve("user:a", 1)
    assert buckets.leases == 1
    await budget.reserve("user:a", 1)
    assert buckets.leases == 2
    assert buckets.buckets["graphql:user:a"].tokens == 540


async def test_what_a_process_holds_counts_toward_the_next_cost() -> None:
    buckets = InMemoryBucketStore()
    budget = CostBudget(600, buckets, clock=Clock())
    await budget.reserve("user:a", 10)  # leases 30, holds 20
    await budget.reserve("user:a", 50)  # needs 30 more: a lease of a chunk, 30
    assert buckets.buckets["graphql:user:a"].tokens == 540
    await budget.reserve("user:a", 540)  # the rest of the budget...
    with pytest.raises(RateLimitedError):  # ...and not one unit more
        await budget.reserve("user:a", 1)


async def test_two_processes_together_spend_at_most_the_budget() -> None:
    shared = InMemoryBucketStore()
    clock = Clock()
    processes = [CostBudget(300, shared, clock=clock) for _ in range(2)]
    spent = 0
    for n in range(400):
        try:
            await processes[n % 2].reserve("user:a", 1)
        except RateLimitedError:
            continue
        spent += 1
    assert spent == 300


class CountingBuckets(InMemoryBucketStore):
    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    async def lease(
        self, key: str, need: float, now: float, policy: BucketPolicy
    ) -> Lease | LeaseRefusal:
        self.asked += 1
        return await super().lease(key, need, now, policy)


async def test_a_refused_caller_is_refused_without_the_store_until_time_could_refill() -> None:
    buckets = CountingBuckets()
    clock = Clock()
    budget = CostBudget(600, buckets, clock=clock)  # refills 10 per second
    await budget.reserve("user:a", 600)
    asked = buckets.asked
    with pytest.raises(RateLimitedError) as first:
        await budget.reserve("user:a", 100)
    assert buckets.asked == asked + 1
    for _ in range(50):  # hammering: answered here, the store asked no more
        with pytest.raises(RateLimitedError) as again:
            await budget.reserve("user:a", 100)
    assert buckets.asked == asked + 1
    assert again.value.retry_after == first.value.retry_after == 10
    clock.now += 4.0
    with pytest.raises(RateLimitedError) as later:
        await budget.reserve("user:a", 100)
    assert later.value.retry_after == 6  # the wait counts down
    await budget.reserve("user:a", 40)  # 40 refilled since: worth asking, and granted
    assert buckets.asked == asked + 2
    clock.now += 6.0
    await budget.reserve("user:a", 60)
    await budget.reserve("user:b", 100)  # another caller never was refused


async def test_a_burst_waits_for_one_lease_request_instead_of_each_asking() -> None:
    buckets = SlowBuckets()
    budget = CostBudget(600, buckets, clock=Clock())  # chunks of 30
    burst = [asyncio.create_task(budget.reserve("user:a", 1)) for _ in range(20)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert buckets.asked == 1
    buckets.release.set()
    await asyncio.gather(*burst)
    assert (buckets.asked, buckets.leases) == (1, 1)


async def test_a_refused_lease_refuses_every_request_waiting_for_it() -> None:
    buckets = SlowBuckets()
    clock = Clock()
    budget = CostBudget(600, buckets, clock=clock)
    buckets.release.set()
    await budget.reserve("user:a", 600)
    buckets.release.clear()
    buckets.asked = 0
    clock.now += 1.0  # 10 units back
    burst = [asyncio.create_task(budget.reserve("user:a", 100)) for _ in range(5)]
    cheap = asyncio.create_task(budget.reserve("user:a", 5))
    await asyncio.sleep(0)
    buckets.release.set()
    outcomes = await asyncio.gather(*burst, return_exceptions=True)
    # 90 missing at 10 a second, for each of the five.
    assert [getattr(o, "retry_after", o) for o in outcomes] == [9] * 5
    # A cheaper operation, which the bucket holds, asks for a lease of its own once the
    # refusal came, and is served: two lease requests in all, not six.
    await cheap
    assert buckets.asked == 2


async def test_a_store_failure_refuses_every_request_waiting_and_is_not_swallowed() -> None:
    budget = CostBudget(600, FailingBuckets(), clock=Clock())
    outcomes = await asyncio.gather(
        *(budget.reserve("user:a", 1) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(outcome, StorageBusyError) for outcome in outcomes)


async def test_a_request_cancelled_while_leasing_leaves_the_units_to_the_next() -> None:
    buckets = SlowBuckets()
    budget = CostBudget(600, buckets, clock=Clock())
    first = asyncio.create_task(budget.reserve("user:a", 1))
    await asyncio.sleep(0)
    first.cancel()
    buckets.release.set()
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.sleep(0)
    for _ in range(30):  # the chunk the store gave is held, not lost
        await budget.reserve("user:a", 1)
    assert buckets.leases == 1
