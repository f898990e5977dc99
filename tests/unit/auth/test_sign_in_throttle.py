"""Sign-in throttling: the sliding window of attempt slots, the two budgets, bursts,
and the client address."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth.attempt_limits import (
    AttemptStore,
    InMemoryAttemptStore,
    Refusal,
    ThrottlePolicy,
    free_slot,
    wait_for_slot,
)
from auth.client_addresses import address_bucket, client_address
from auth.errors import ThrottledError
from auth.stored_throttle import StoreAttemptStore
from auth.system_tables import ensure_system_tables
from auth.throttle import ACCOUNT_POLICY, SignInThrottle
from storage import SqliteConfig, open_store
from tests.unit.auth.auth_fakes import FakeClock

FIVE_PER_15_MIN = ThrottlePolicy(max_failures=5, window=900)


# --- the sliding window ----------------------------------------------------------------


def test_documented_defaults() -> None:
    assert (ACCOUNT_POLICY.max_failures, ACCOUNT_POLICY.window) == (5, 900)


@pytest.mark.parametrize(
    ("taken", "now", "wait"),
    [
        pytest.param((), 0, None, id="no-attempts"),
        pytest.param((0, 1, 2, 3), 4, None, id="four-taken-one-free"),
        pytest.param((0, 1, 2, 3, 4), 4, 896, id="fifth-blocks-until-the-first-leaves"),
        pytest.param((0, 1, 2, 3, 4), 899.5, 1, id="fraction-rounds-up"),
        pytest.param((0, 1, 2, 3, 4), 900, None, id="first-left-the-window"),
        pytest.param((700, 100, 200, 300, 400), 950, 50, id="window-slides"),
        pytest.param((0, 1000, 1001, 1002, 1003), 1004, None, id="old-slot-is-free"),
        pytest.param((0, None, 2, 3, 4), 5, None, id="released-slot-is-free"),
    ],
)
def test_free_slots(taken: tuple[float | None, ...], now: float, wait: int | None) -> None:
    slot = free_slot(taken, now, FIVE_PER_15_MIN)
    if wait is None:
        assert slot is not None
        assert slot >= len(taken) or taken[slot] is None or now - taken[slot] >= 900  # type: ignore[operator]
    else:
        assert slot is None
        assert wait_for_slot(taken, now, FIVE_PER_15_MIN) == wait


def test_policy_is_validated() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        ThrottlePolicy(max_failures=0, window=60)


async def test_a_burst_takes_exactly_the_free_slots(store: AttemptStore) -> None:
    requests = [("k", FIVE_PER_15_MIN)]
    taken = await asyncio.gather(*(store.reserve(requests, 0) for _ in range(50)))
    assert sum(isinstance(t, tuple) for t in taken) == 5
    assert {t.retry_after for t in taken if isinstance(t, Refusal)} == {900}


# --- accounts and addresses ------------------------------------------------------------


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AttemptStore]:
    """Each test runs on the in-memory slots and on the store's (a real SQLite file)."""
    if request.param == "memory":
        yield InMemoryAttemptStore()
        return
    async with open_store(SqliteConfig(tmp_path / "slots.sqlite3", synchronous="NORMAL")) as db:
        await ensure_system_tables(db)
        yield StoreAttemptStore(db)


@pytest.fixture
def throttle(store: AttemptStore, clock: FakeClock) -> SignInThrottle:
    return SignInThrottle(store, clock=clock)


async def fail(throttle: SignInThrottle, times: int, account: str, address: str) -> None:
    for _ in range(times):
        await throttle.password_attempt(account, address)  # a failure keeps its slots


async def test_account_is_throttled_after_five_failures(
    throttle: SignInThrottle, clock: FakeClock
) -> None:
    await fail(throttle, 5, "bob@example.com", "198.51.100.7")
    with pytest.raises(ThrottledError) as raised:
        await throttle.password_attempt("bob@example.com", "203.0.113.9")  # from anywhere
    assert raised.value.retry_after == 900
    assert raised.value.code == "too_many_requests"
    clock.advance(900)
    await throttle.password_attempt("bob@example.com", "203.0.113.9")


async def test_account_budget_ignores_case(throttle: SignInThrottle) -> None:
    await fail(throttle, 5, "Bob@Example.com", "198.51.100.7")
    with pytest.raises(ThrottledError):
        await throttle.password_attempt("bob@example.com", "203.0.113.9")


async def test_address_is_throttled_after_twenty_failures_across_accounts(
    throttle: SignInThrottle,
) -> None:
    for n in range(20):
        await fail(throttle, 1, f"user{n}@example.com", "198.51.100.7")
    with pytest.raises(ThrottledError):
        await throttle.password_attempt("fresh@example.com", "198.51.100.7")
    await throttle.password_attempt("fresh@example.com", "198.51.100.8")


async def test_a_refused_attempt_takes_no_slot_anywhere(throttle: SignInThrottle) -> None:
    await fail(throttle, 5, "bob@example.com", "198.51.100.7")
    for _ in range(20):  # refused by the account: the address keeps its budget
        with pytest.raises(ThrottledError):
            await throttle.password_attempt("bob@example.com", "198.51.100.7")
    for n in range(15):
        await fail(throttle, 1, f"other{n}@example.com", "198.51.100.7")


async def test_ipv6_addresses_share_their_64(throttle: SignInThrottle) -> None:
    for n in range(20):
        await fail(throttle, 1, f"user{n}@example.com", f"2001:db8:1:2::{n + 1:x}")
    with pytest.raises(ThrottledError):
        await throttle.password_attempt("fresh@example.com", "2001:db8:1:2:ffff::1")
    await throttle.password_attempt("fresh@example.com", "2001:db8:1:3::1")


async def test_success_clears_the_account_but_not_the_address(throttle: SignInThrottle) -> None:
    await fail(throttle, 4, "bob@example.com", "198.51.100.7")
    for n in range(15):
        await fail(throttle, 1, f"sprayed{n}@example.com", "198.51.100.7")
    attempt = await throttle.password_attempt("bob@example.com", "198.51.100.7")
    await attempt.succeeded()  # frees its own address slot: 19 of 20 taken
    await fail(throttle, 4, "bob@example.com", "198.51.100.8")
    await throttle.password_attempt("bob@example.com", "198.51.100.8")  # 5 of 5: fine
    await fail(throttle, 1, "other@example.com", "198.51.100.7")  # address at 20 now
    with pytest.raises(ThrottledError):
        await throttle.password_attempt("anyone@example.com", "198.51.100.7")


async def test_codes_have_their_own_budget_per_address(throttle: SignInThrottle) -> None:
    for _ in range(20):
        await throttle.code_attempt("198.51.100.7")
    with pytest.raises(ThrottledError):
        await throttle.code_attempt("198.51.100.7")
    await throttle.password_attempt("bob@example.com", "198.51.100.7")


async def test_state_survives_a_restart(store: AttemptStore, clock: FakeClock) -> None:
    await fail(SignInThrottle(store, clock=clock), 5, "bob@example.com", "198.51.100.7")
    restarted = SignInThrottle(store, clock=clock)
    with pytest.raises(ThrottledError):
        await restarted.password_attempt("bob@example.com", "198.51.100.7")


# --- the client address ----------------------------------------------------------------

TRUSTED = ["10.0.0.0/8", "2001:db8:ffff::/48"]

ADDRESS_TABLE = [
    pytest.param("203.0.113.5", "1.2.3.4", "203.0.113.5", id="untrusted-peer-header-ignored"),
    pytest.param("203.0.113.5", None, "203.0.113.5", id="untrusted-peer-no-header"),
    pytest.param("10.0.0.2", None, "10.0.0.2", id="proxy-without-header"),
    pytest.param("10.0.0.2", "198.51.100.7", "198.51.100.7", id="one-proxy"),
    pytest.param(
        "10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7", id="spoofed-left-entry-ignored"
    ),
    pytest.param("10.0.0.2", "198.51.100.7, 10.0.0.3", "198.51.100.7", id="two-proxies"),
    pytest.param("10.0.0.2", "10.0.0.9, 10.0.0.3", "10.0.0.9", id="all-hops-trusted"),
    pytest.param("10.0.0.2", "garbage", "10.0.0.2", id="garbage-stops-at-proxy"),
    pytest.param("10.0.0.2", "198.51.100.7, unknown", "10.0.0.2", id="garbage-rightmost"),
    pytest.param("10.0.0.2", "garbage, 198.51.100.7", "198.51.100.7", id="garbage-left-ignored"),
    pytest.param("10.0.0.2", "198.51.100.7:4711", "198.51.100.7", id="ipv4-with-port"),
    pytest.param("10.0.0.2", "[2001:db8::1]:443", "2001:db8::1", id="ipv6-with-port"),
    pytest.param("10.0.0.2", "2001:db8::1", "2001:db8::1", id="ipv6"),
    pytest.param("::ffff:10.0.0.2", "198.51.100.7", "198.51.100.7", id="ipv4-mapped-peer"),
    pytest.param("10.0.0.2", "::ffff:198.51.100.7", "198.51.100.7", id="ipv4-mapped-hop"),
    pytest.param("10.0.0.2", " 198.51.100.7 ,, ", "198.51.100.7", id="whitespace-and-empty"),
    pytest.param("2001:db8:ffff::1", "198.51.100.7", "198.51.100.7", id="ipv6-proxy"),
    pytest.param("2001:db8:fffe::1", "198.51.100.7", "2001:db8:fffe::1", id="ipv6-outside-range"),
    pytest.param("11.0.0.1", "198.51.100.7", "11.0.0.1", id="ipv4-outside-range"),
    pytest.param(None, "198.51.100.7", "unknown", id="no-peer"),
    pytest.param("not-an-ip", "198.51.100.7", "not-an-ip", id="unix-socket-peer"),
]


@pytest.mark.parametrize(("peer", "forwarded_for", "expected"), ADDRESS_TABLE)
def test_client_address(peer: str | None, forwarded_for: str | None, expected: str) -> None:
    assert client_address(peer, forwarded_for, TRUSTED) == expected


def test_no_trusted_proxies_means_header_is_never_read() -> None:
    assert client_address("10.0.0.2", "198.51.100.7", []) == "10.0.0.2"


@pytest.mark.parametrize(
    ("address", "bucket"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("unknown", "unknown"),
    ],
)
def test_address_bucket(address: str, bucket: str) -> None:
    assert address_bucket(address) == bucket
