"""Rate limits on requests that cost us something: sign-ups and emails sent.

Built on the sliding-window log of :mod:`auth.throttle`, but counting every request
(not only failures). Keys are what the client submitted — an email, an address bucket —
never whether an account exists (no user enumeration).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from auth.errors import ThrottledError
from auth.throttle import (
    ThrottlePolicy,
    ThrottleRepository,
    address_bucket,
    record_failure,
    retry_after,
)

__all__ = ["RateLimiter", "mail_key", "signup_address_key"]


class RateLimiter:
    """Counts requests per key in a :class:`ThrottleRepository`."""

    def __init__(
        self, repository: ThrottleRepository, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._repository = repository
        self._clock = clock

    async def hit(self, key: str, policy: ThrottlePolicy) -> None:
        """Count one request; ``ThrottledError`` (and not counted) if over the limit."""
        if not await self.try_hit(key, policy):
            log = await self._repository.get(key)
            raise ThrottledError(retry_after(log, self._clock(), policy) or 1)

    async def try_hit(self, key: str, policy: ThrottlePolicy) -> bool:
        """Count one request if under the limit; False (nothing counted) if over it."""
        now = self._clock()
        log = await self._repository.get(key)
        if retry_after(log, now, policy) is not None:
            return False
        await self._repository.put(
            key, record_failure(log, now, policy), expires_at=now + policy.window
        )
        return True


def mail_key(email: str) -> str:
    """The budget of mails sent to one address (casefolded)."""
    return f"mail:{email.casefold()}"


def signup_address_key(address: str) -> str:
    """The budget of sign-up / mail-triggering requests from one client address."""
    return f"signup:{address_bucket(address)}"
