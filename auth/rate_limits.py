"""Rate limits on requests that cost us something: sign-ups and emails sent.

Built on the attempt slots of :mod:`auth.attempt_limits`, but every request keeps its
slot (not only failures): a slot is reserved atomically *before* the work, so the limit
is an upper bound under any burst and across API processes. Keys are what the client
submitted — an email, an address bucket — never whether an account exists (no user
enumeration).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from auth.attempt_limits import AttemptStore, Refusal, ThrottlePolicy
from auth.client_addresses import address_bucket
from auth.errors import ThrottledError

__all__ = ["RateLimiter", "mail_key", "signup_address_key"]


class RateLimiter:
    """Counts requests per key in an :class:`AttemptStore`."""

    def __init__(self, store: AttemptStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    async def hit(self, key: str, policy: ThrottlePolicy) -> None:
        """Count one request; ``ThrottledError`` (and not counted) if over the limit."""
        taken = await self._store.reserve([(key, policy)], self._clock())
        if isinstance(taken, Refusal):
            raise ThrottledError(taken.retry_after)

    async def try_hit(self, key: str, policy: ThrottlePolicy) -> bool:
        """Count one request if under the limit; False (nothing counted) if over it."""
        taken = await self._store.reserve([(key, policy)], self._clock())
        return not isinstance(taken, Refusal)


def mail_key(email: str) -> str:
    """The budget of mails sent to one address (casefolded)."""
    return f"mail:{email.casefold()}"


def signup_address_key(address: str) -> str:
    """The budget of sign-up / mail-triggering requests from one client address."""
    return f"signup:{address_bucket(address)}"
