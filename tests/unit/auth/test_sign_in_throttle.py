"""Sign-in throttling: the sliding window, the two budgets, and the client address."""

from __future__ import annotations

import pytest

from auth.errors import ThrottledError
from auth.throttle import (
    ACCOUNT_POLICY,
    FailureLog,
    InMemoryThrottleRepository,
    SignInThrottle,
    ThrottlePolicy,
    address_bucket,
    client_address,
    record_failure,
    retry_after,
)
from tests.unit.auth.auth_fakes import FakeClock

FIVE_PER_15_MIN = ThrottlePolicy(max_failures=5, window=900)


def failures_at(*times: float, policy: ThrottlePolicy = FIVE_PER_15_MIN) -> FailureLog:
    log = FailureLog()
    for at in times:
        log = record_failure(log, at, policy)
    return log


# --- the sliding window ----------------------------------------------------------------


def test_documented_defaults() -> None:
    assert (ACCOUNT_POLICY.max_failures, ACCOUNT_POLICY.window) == (5, 900)


@pytest.mark.parametrize(
    ("failures", "now", "expected"),
    [
        pytest.param((), 0, None, id="no-failures"),
        pytest.param((0, 1, 2, 3), 4, None, id="four-failures-still-allowed"),
        pytest.param((0, 1, 2, 3, 4), 4, 896, id="fifth-failure-blocks-until-first-leaves"),
        pytest.param((0, 1, 2, 3, 4), 899.5, 1, id="fraction-rounds-up"),
        pytest.param((0, 1, 2, 3, 4), 900, None, id="first-failure-left-window"),
        pytest.param((0, 100, 200, 300, 400, 500, 600), 950, 150, id="window-slides"),
        pytest.param((0, 1000, 1001, 1002, 1003), 1004, None, id="old-failure-does-not-count"),
    ],
)
def test_retry_after(failures: tuple[float, ...], now: float, expected: int | None) -> None:
    assert retry_after(failures_at(*failures), now, FIVE_PER_15_MIN) == expected


def test_log_stays_bounded() -> None:
    log = failures_at(*range(100))
    assert log.failures == (95, 96, 97, 98, 99)


def test_policy_is_validated() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        ThrottlePolicy(max_failures=0, window=60)


# --- accounts and addresses ------------------------------------------------------------


@pytest.fixture
def repository() -> InMemoryThrottleRepository:
    return InMemoryThrottleRepository()


@pytest.fixture
def throttle(repository: InMemoryThrottleRepository, clock: FakeClock) -> SignInThrottle:
    return SignInThrottle(repository, clock=clock)


async def fail(throttle: SignInThrottle, times: int, account: str, address: str) -> None:
    for _ in range(times):
        await throttle.check(account, address)
        await throttle.record_failure(account, address)


async def test_account_is_throttled_after_five_failures(
    throttle: SignInThrottle, clock: FakeClock
) -> None:
    await fail(throttle, 5, "bob@example.com", "198.51.100.7")
    with pytest.raises(ThrottledError) as raised:
        await throttle.check("bob@example.com", "203.0.113.9")  # from anywhere
    assert raised.value.retry_after == 900
    assert raised.value.code == "too_many_requests"
    clock.advance(900)
    await throttle.check("bob@example.com", "203.0.113.9")


async def test_account_budget_ignores_case(throttle: SignInThrottle) -> None:
    await fail(throttle, 5, "Bob@Example.com", "198.51.100.7")
    with pytest.raises(ThrottledError):
        await throttle.check("bob@example.com", "203.0.113.9")


async def test_address_is_throttled_after_twenty_failures_across_accounts(
    throttle: SignInThrottle,
) -> None:
    for n in range(20):
        await fail(throttle, 1, f"user{n}@example.com", "198.51.100.7")
    with pytest.raises(ThrottledError):
        await throttle.check("fresh@example.com", "198.51.100.7")
    await throttle.check("fresh@example.com", "198.51.100.8")


async def test_ipv6_addresses_share_their_64(throttle: SignInThrottle) -> None:
    for n in range(20):
        await fail(throttle, 1, f"user{n}@example.com", f"2001:db8:1:2::{n + 1:x}")
    with pytest.raises(ThrottledError):
        await throttle.check("fresh@example.com", "2001:db8:1:2:ffff::1")
    await throttle.check("fresh@example.com", "2001:db8:1:3::1")


async def test_success_clears_the_account_but_not_the_address(throttle: SignInThrottle) -> None:
    await fail(throttle, 4, "bob@example.com", "198.51.100.7")
    for n in range(15):
        await fail(throttle, 1, f"sprayed{n}@example.com", "198.51.100.7")
    await throttle.record_success("bob@example.com")
    await fail(throttle, 1, "bob@example.com", "198.51.100.8")
    await throttle.check("bob@example.com", "198.51.100.8")  # 1 of 5: fine
    await fail(throttle, 1, "other@example.com", "198.51.100.7")  # address at 20 now
    with pytest.raises(ThrottledError):
        await throttle.check("anyone@example.com", "198.51.100.7")


async def test_state_survives_a_restart(
    repository: InMemoryThrottleRepository, clock: FakeClock
) -> None:
    await fail(SignInThrottle(repository, clock=clock), 5, "bob@example.com", "198.51.100.7")
    restarted = SignInThrottle(repository, clock=clock)
    with pytest.raises(ThrottledError):
        await restarted.check("bob@example.com", "198.51.100.7")


async def test_entries_carry_an_expiry_for_the_store_ttl(
    throttle: SignInThrottle, repository: InMemoryThrottleRepository, clock: FakeClock
) -> None:
    await fail(throttle, 1, "bob@example.com", "198.51.100.7")
    assert {expires for _, expires in repository.entries.values()} == {clock() + 900}


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
