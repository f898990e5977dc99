"""Throttling of failed sign-ins, per account and per client address.

A sliding-window log: each key keeps the times of its recent failures (at most
``max_failures`` of them, so the state is small). When the window holds
``max_failures`` failures, further attempts are refused until the oldest one leaves it.

Defaults (OWASP Authentication Cheat Sheet, "Protect against automated attacks"):

- per account: 5 failures per 15 minutes. Slows password guessing on one account to
  20 tries an hour, yet a locked-out user waits 15 minutes at most. An attacker can
  keep a victim's account throttled; that is the accepted price (OWASP discusses it).
- per address: 20 failures per 15 minutes. Slows password spraying across accounts
  from one client; higher because many users may share an address (NAT, offices).

State goes through a :class:`ThrottleRepository` so restarts and several API processes
share it (the store-backed one comes with the store wiring). Throttle by the identifier
the client *submitted*, whether or not an account exists (no user enumeration).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from auth.errors import ThrottledError

__all__ = [
    "ACCOUNT_POLICY",
    "ADDRESS_POLICY",
    "FailureLog",
    "InMemoryThrottleRepository",
    "SignInThrottle",
    "ThrottlePolicy",
    "ThrottleRepository",
    "address_bucket",
    "client_address",
    "record_failure",
    "retry_after",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """At most ``max_failures`` failures in any ``window`` seconds."""

    max_failures: int
    window: float

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window <= 0:
            raise ValueError("max_failures must be >= 1 and window > 0")


ACCOUNT_POLICY = ThrottlePolicy(max_failures=5, window=15 * 60)
ADDRESS_POLICY = ThrottlePolicy(max_failures=20, window=15 * 60)


@dataclass(frozen=True, slots=True)
class FailureLog:
    """Times (epoch seconds, ascending) of the recent failures of one key."""

    failures: tuple[float, ...] = ()


def _recent(log: FailureLog, now: float, policy: ThrottlePolicy) -> tuple[float, ...]:
    return tuple(t for t in log.failures if now - t < policy.window)


def retry_after(log: FailureLog | None, now: float, policy: ThrottlePolicy) -> int | None:
    """Seconds to wait before another attempt, or None if one is allowed now."""
    recent = _recent(log or FailureLog(), now, policy)
    if len(recent) < policy.max_failures:
        return None
    # The window frees a slot when the oldest failure that still counts leaves it.
    oldest_counted = recent[-policy.max_failures]
    return max(1, math.ceil(oldest_counted + policy.window - now))


def record_failure(log: FailureLog | None, now: float, policy: ThrottlePolicy) -> FailureLog:
    """The log with one more failure at ``now``; older ones beyond the limit are dropped."""
    recent = (*_recent(log or FailureLog(), now, policy), now)
    return FailureLog(tuple(sorted(recent))[-policy.max_failures :])


class ThrottleRepository(Protocol):
    """Where failure logs live; entries may be dropped after ``expires_at`` (a TTL)."""

    async def get(self, key: str) -> FailureLog | None: ...

    async def put(self, key: str, log: FailureLog, *, expires_at: float) -> None: ...

    async def delete(self, key: str) -> None: ...


class InMemoryThrottleRepository:
    """A :class:`ThrottleRepository` in a dict: tests and single-process dev only."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[FailureLog, float]] = {}

    async def get(self, key: str) -> FailureLog | None:
        entry = self.entries.get(key)
        return entry[0] if entry else None

    async def put(self, key: str, log: FailureLog, *, expires_at: float) -> None:
        self.entries[key] = (log, expires_at)

    async def delete(self, key: str) -> None:
        self.entries.pop(key, None)


class SignInThrottle:
    """Checks and records sign-in failures per account and per address.

    Call :meth:`check` before verifying the password (a throttled attempt must not
    reach the hasher, or it would still leak whether the password was right), then
    :meth:`record_failure` or :meth:`record_success`. Read-modify-write is not atomic:
    concurrent failures may undercount a little, which only loosens the limit slightly.
    """

    def __init__(
        self,
        repository: ThrottleRepository,
        *,
        account_policy: ThrottlePolicy = ACCOUNT_POLICY,
        address_policy: ThrottlePolicy = ADDRESS_POLICY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repository = repository
        self._policies = {"account": account_policy, "address": address_policy}
        self._clock = clock

    async def check(self, account: str, address: str) -> None:
        """Raise :class:`ThrottledError` if either the account or the address is throttled."""
        now = self._clock()
        waits = [
            retry_after(await self._repository.get(key), now, self._policies[kind])
            for kind, key in self._keys(account, address)
        ]
        longest = max((wait for wait in waits if wait is not None), default=None)
        if longest is not None:
            raise ThrottledError(retry_after=longest)

    async def record_failure(self, account: str, address: str) -> None:
        now = self._clock()
        for kind, key in self._keys(account, address):
            policy = self._policies[kind]
            log = record_failure(await self._repository.get(key), now, policy)
            await self._repository.put(key, log, expires_at=now + policy.window)

    async def record_success(self, account: str) -> None:
        """Forget the account's failures. The address's stay: one success from an address
        must not wipe its failures against other accounts (threat: spraying with one
        attacker-owned account to reset the counter)."""
        await self._repository.delete(_account_key(account))

    @staticmethod
    def _keys(account: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("account", _account_key(account)), ("address", f"address:{address_bucket(address)}")


def _account_key(account: str) -> str:
    # Case-folded so "Bob@x" and "bob@x" share one budget (stricter, never looser).
    return f"account:{account.casefold()}"


def address_bucket(address: str) -> str:
    """The unit an address is throttled by: the IPv4 address, or the IPv6 /64.

    An IPv6 client usually controls a whole /64 (2**64 addresses); throttling single
    addresses would let it rotate freely (threat: address rotation).
    """
    parsed = _parse_ip(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else address


def client_address(
    peer: str | None,
    forwarded_for: str | None,
    trusted_proxies: Iterable[str | IPNetwork],
) -> str:
    """The client's address, honouring ``X-Forwarded-For`` only behind trusted proxies.

    ``peer`` is the TCP peer. Only when it is a trusted proxy is the header read, from
    the right: each trusted proxy appended the address it saw, so the first address from
    the right that is *not* a trusted proxy is the client. Everything left of it was
    written by the client and is ignored (threat: a spoofed X-Forwarded-For escaping
    throttling or framing someone else). Join repeated header lines with "," in order.
    """
    networks = [ipaddress.ip_network(net, strict=False) for net in trusted_proxies]
    current = _parse_ip(peer) if peer else None
    if current is None:
        return peer or "unknown"
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    while hops and _is_trusted(current, networks):
        hop = _parse_ip(hops.pop())
        if hop is None:
            break  # garbage at a place a trusted proxy wrote: stop at the last good hop
        current = hop
    return str(current)


def _is_trusted(address: IPAddress, networks: list[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def _parse_ip(text: str | None) -> IPAddress | None:
    """An IP from ``1.2.3.4``, ``1.2.3.4:80``, ``::1`` or ``[::1]:80``; None if not one."""
    if not text:
        return None
    candidate = text.strip()
    if candidate.startswith("["):
        candidate = candidate[1:].partition("]")[0]
    elif candidate.count(":") == 1:
        candidate = candidate.partition(":")[0]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:1.2.3.4 is 1.2.3.4
    return address
