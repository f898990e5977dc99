"""Throttling of password and code attempts, per account and per client address.

Every attempt reserves a slot on each of its keys *before* the password is hashed or
the code compared (see :mod:`auth.attempt_limits`): a throttled attempt never reaches
the hasher (it would still learn whether it was right), and however many attempts
arrive at once, from however many API processes, at most the limit is evaluated. A
failed attempt keeps its slots; a successful one frees its address slot and clears the
account's failures.

Defaults (OWASP Authentication Cheat Sheet, "Protect against automated attacks"):

- per account: 5 failures per 15 minutes. Slows password guessing on one account to
  20 tries an hour, yet a locked-out user waits 15 minutes at most. An attacker can
  keep a victim's account throttled; that is the accepted price (OWASP discusses it).
- per address: 20 failures per 15 minutes. Slows password spraying across accounts
  from one client; higher because many users may share an address (NAT, offices).
  Wrong emailed codes have their own budget per address, of the same size.

Throttle by the identifier the client *submitted*, whether or not an account exists
(no user enumeration). Keys are case-folded, so ``Bob@x`` and ``bob@x`` share one budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from auth.attempt_limits import AttemptStore, Refusal, Reservation, SlotRequest, ThrottlePolicy
from auth.client_addresses import address_bucket
from auth.errors import ThrottledError

__all__ = [
    "ACCOUNT_POLICY",
    "ADDRESS_POLICY",
    "Attempt",
    "SignInThrottle",
    "ThrottlePolicy",
]

ACCOUNT_POLICY = ThrottlePolicy(max_failures=5, window=15 * 60)
ADDRESS_POLICY = ThrottlePolicy(max_failures=20, window=15 * 60)


@dataclass(frozen=True, slots=True)
class Attempt:
    """The slots one attempt holds. Do nothing on failure: the slots count it."""

    store: AttemptStore
    account: Reservation | None
    address: Reservation

    async def succeeded(self) -> None:
        """Forget the account's failures and free this attempt's address slot. The
        address's other failures stay: one success must not wipe its failures against
        other accounts (threat: spraying with one attacker-owned account)."""
        clear = [self.account.key] if self.account is not None else []
        await self.store.finish(release=[self.address], clear=clear)


class SignInThrottle:
    """Reserves sign-in and code attempts per account and per client address."""

    def __init__(
        self,
        store: AttemptStore,
        *,
        account_policy: ThrottlePolicy = ACCOUNT_POLICY,
        address_policy: ThrottlePolicy = ADDRESS_POLICY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self.account_policy = account_policy
        self.address_policy = address_policy
        self._clock = clock

    async def password_attempt(self, account: str, address: str) -> Attempt:
        """Reserve a password attempt on ``account`` (an email, or ``user:<id>``) from
        ``address``; ``ThrottledError`` (and nothing reserved) if either is spent."""
        on_address, on_account = await self._reserve(
            (f"address:{address_bucket(address)}", self.address_policy),
            (f"account:{account.casefold()}", self.account_policy),
        )
        return Attempt(self._store, on_account, on_address)

    async def code_attempt(self, address: str) -> Attempt:
        """Reserve an emailed-code attempt from ``address`` (each code also limits its
        own tries); ``ThrottledError`` if the address spent its budget."""
        key = f"codes:{address_bucket(address)}"
        (on_address,) = await self._reserve((key, self.address_policy))
        return Attempt(self._store, None, on_address)

    async def _reserve(self, *requests: SlotRequest) -> tuple[Reservation, ...]:
        """A slot on every key, or ``ThrottledError`` and none (a refused attempt counts
        nowhere)."""
        taken = await self._store.reserve(requests, self._clock())
        if isinstance(taken, Refusal):
            raise ThrottledError(retry_after=taken.retry_after)
        return taken
