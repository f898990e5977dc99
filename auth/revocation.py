"""Revocation that bites: access tokens refused before they expire, in every API process.

Two kinds of revocation, each kept in a small system table whose entries expire once
every token they could refuse has expired anyway (access-token lifetime + leeway):

- **per user**, a not-before time (``_baas_revocations``, written by
  :meth:`UserRepository.revoke_tokens`): signing out everywhere, changing or resetting
  the password, disabling, deleting, or changing the groups of a user. Tokens issued
  before it (``iat`` < not-before) are refused.
- **per session** (``_baas_session_revocations``, written with the family by
  :meth:`RefreshTokenRepository.mark_revoked`): signing out, ending a session from the
  session list, a replayed refresh token. Tokens whose ``sid`` claim names the session
  are refused.

Design: the verifier runs on every request and its hook is synchronous, so it must not
do I/O. :class:`RevocationList` holds every live entry in memory and learns them

- from this process's own revocations at once (:meth:`RevocationList.revoke_user`,
  :meth:`RevocationList.revoke_session`, called as soon as the write committed);
- from any process's through the store's change feed, followed by
  :class:`auth.revocation_feed.RevocationFeed`: within 1 s (typically ~0.1 s: the SQLite
  feed is polled every 50 ms);
- and fails closed: when the follower could not read the store for ``max_staleness``
  seconds, lookups raise :class:`AuthUnavailableError` instead of accepting tokens that
  might be revoked (threat: a revoked token living through an outage).

Live connections follow revocation through two small hooks:

- :meth:`RevocationList.watch` registers a callback for a user; it runs (synchronously)
  whenever a revocation of that user or of one of their sessions arrives.
  :class:`RevocationWatch` wraps it for a connection: ``await watch.wait(timeout)``
  returns early when such a revocation arrives, and the WebSocket connection then
  re-checks its token and closes if it is refused.
- :attr:`RevocationList.position` is how far in the change feed the list is current;
  :meth:`RevocationList.reached` waits for a feed position, so a subscription can check
  its token against every revocation committed before the change it is about to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from auth.errors import AuthUnavailableError
from auth.tokens import AccessTokenClaims

__all__ = ["RevocationList", "RevocationListener", "RevocationWatch"]

RevocationListener = Callable[[], None]
"""Called when a revocation for the watched user arrives (must be quick; no I/O)."""

_log = logging.getLogger("auth.revocation")


class RevocationList:
    """Every live revocation, in memory; see the module docstring.

    ``retention`` is how long an entry noted by this process is kept (the longest
    access-token life plus leeway); entries read from the store carry their own expiry.
    """

    def __init__(
        self,
        *,
        retention: float,
        max_staleness: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._retention = retention
        self._max_staleness = max_staleness
        self._clock = clock
        self._wall_clock = wall_clock
        self._not_before: dict[str, tuple[float, float]] = {}  # user -> (not-before, expiry)
        self._sessions: dict[str, tuple[str, float]] = {}  # sid -> (user, expiry)
        self._listeners: dict[str, set[RevocationListener]] = {}
        self._current_at: float | None = None
        self.position = 0
        self._advanced = asyncio.Event()

    # --- the verifier's hook ----------------------------------------------------------

    def is_revoked(self, claims: AccessTokenClaims) -> bool:
        """Whether the token was revoked; the ``TokenVerifier`` hook (sync, no I/O).

        ``iat`` has one-second resolution and not-before times are rounded up to the
        next second, so a token issued in the same second as the revocation is refused
        too: fail closed.
        """
        if self._current_at is None or self._clock() - self._current_at > self._max_staleness:
            raise AuthUnavailableError()
        entry = self._not_before.get(claims.subject)
        if entry is not None and claims.issued_at < entry[0]:
            return True
        return claims.session_id is not None and claims.session_id in self._sessions

    def not_before(self, user_id: str) -> float | None:
        """The user's not-before time, if a revocation of the user is live."""
        entry = self._not_before.get(user_id)
        return None if entry is None else entry[0]

    # --- learning revocations -----------------------------------------------------------

    def revoke_user(
        self, user_id: str, not_before: float, *, expires_at: float | None = None
    ) -> None:
        """Refuse the user's tokens issued before ``not_before`` (only ever tightens)."""
        expiry = not_before + self._retention if expires_at is None else expires_at
        current = self._not_before.get(user_id)
        if current is not None and current[0] >= not_before:
            return
        self._not_before[user_id] = (not_before, max(expiry, current[1] if current else 0.0))
        self._notify(user_id)

    def revoke_session(
        self, user_id: str, session_id: str, *, expires_at: float | None = None
    ) -> None:
        """Refuse every token of the session."""
        if session_id in self._sessions:
            return
        expiry = self._wall_clock() + self._retention if expires_at is None else expires_at
        self._sessions[session_id] = (user_id, expiry)
        self._notify(user_id)

    def prune(self) -> None:
        """Forget entries that can no longer refuse a token (their tokens have expired)."""
        now = self._wall_clock()
        self._not_before = {u: e for u, e in self._not_before.items() if e[1] > now}
        self._sessions = {s: e for s, e in self._sessions.items() if e[1] > now}

    # --- freshness and feed position (set by the follower) ------------------------------

    def mark_current(self, checked_at: float) -> None:
        """Every revocation committed before ``checked_at`` (this list's clock) is known."""
        if self._current_at is None or checked_at > self._current_at:
            self._current_at = checked_at

    def advance(self, position: int) -> None:
        """Every change-feed record up to ``position`` has been applied."""
        if position > self.position:
            self.position = position
            self._advanced.set()
            self._advanced = asyncio.Event()

    async def reached(self, position: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bound, not a deadline API
        """Wait until the list is current up to feed ``position``; False after ``timeout``."""
        deadline = self._clock() + timeout
        while self.position < position:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return False
            # asyncio.timeout: wait_for may swallow a cancellation on Python 3.11.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._advanced.wait()
        return True

    # --- listeners ---------------------------------------------------------------------

    def watch(self, user_id: str, listener: RevocationListener) -> Callable[[], None]:
        """Call ``listener`` on every revocation of the user or of one of their sessions.

        Returns the function that ends the watch (call it when the connection closes).
        """
        self._listeners.setdefault(user_id, set()).add(listener)

        def unwatch() -> None:
            listeners = self._listeners.get(user_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[user_id]

        return unwatch

    def _notify(self, user_id: str) -> None:
        for listener in list(self._listeners.get(user_id, ())):
            try:
                listener()
            except Exception:  # noqa: BLE001 - one broken listener must not stop the others
                _log.exception("a revocation listener failed")


def _watching_nothing() -> None:
    pass


class RevocationWatch:
    """What a live connection of one user waits on: "a revocation of yours arrived".

    Made on the connection's event loop; the revocation may come from any thread (the
    wake-up is handed to that loop). :meth:`close` when the connection ends.
    """

    def __init__(self, revocations: RevocationList, user_id: str) -> None:
        self._arrived = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._unwatch = revocations.watch(user_id, self._wake)

    async def wait(self, timeout: float) -> bool:  # noqa: ASYNC109 - a bound, not a deadline API
        """True as soon as a revocation of the user arrives, False after ``timeout`` s."""
        try:
            async with asyncio.timeout(timeout):
                await self._arrived.wait()
        except TimeoutError:
            return False
        self._arrived.clear()
        return True

    def close(self) -> None:
        # Dropped, not just called: it holds this watch (through the listener), a cycle
        # that would keep the connection's objects until the collector's next pass.
        unwatch, self._unwatch = self._unwatch, _watching_nothing
        unwatch()

    def _wake(self) -> None:
        self._loop.call_soon_threadsafe(self._arrived.set)
