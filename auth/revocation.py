"""Revocation that bites: per-user not-before times, known to every API process.

Signing out everywhere, changing the password, disabling or deleting a user sets the
user's ``not_before`` (see :meth:`UserRepository.revoke_tokens`); access tokens issued
before it must be refused although they have not expired.

Design: the verifier runs on every request and its hook is synchronous, so it must not
do I/O. :class:`NotBeforeCache` keeps *all* recent revocations in memory — the small
``_baas_revocations`` table, whose entries expire once every token they could refuse
has expired anyway (access-token lifetime + leeway) — and a background task calls
:meth:`reload` every ``refresh_interval`` seconds (2 s by default; the task is the
wiring's, ``baas.auth_wiring``). So:

- a lookup is a dict read, no I/O on the hot path (the verifier stays > 5,000/s);
- a revocation made by this process applies at once (:meth:`note`), one made by
  another process within ``refresh_interval``;
- if reloading keeps failing (store down), lookups fail closed after
  ``max_staleness`` seconds with :class:`AuthUnavailableError` instead of accepting
  tokens that might be revoked (threat: a revoked token living through an outage).

A per-user lookup cache (read the user on a miss) would need async I/O in the
verifier and a read per new user per TTL; the table is bounded by the revocations of
the last ~15 minutes, so holding it whole is both simpler and cheaper.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from auth.errors import AuthUnavailableError
from auth.system_tables import REVOCATIONS_TABLE, TTL_ATTRIBUTE
from storage import DocumentStore, Item

__all__ = ["NotBeforeCache"]


class NotBeforeCache:
    """In-process copy of ``_baas_revocations``: ``user_id -> not_before``.

    ``store`` returns the open store (it is opened after this is built).
    """

    def __init__(
        self,
        store: Callable[[], DocumentStore],
        *,
        refresh_interval: float = 2.0,
        max_staleness: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._interval = refresh_interval
        self._max_staleness = max_staleness
        self._clock = clock
        self._not_before: dict[str, float] = {}
        self._notes: dict[str, tuple[float, float]] = {}
        self._loaded_at: float | None = None

    def lookup(self, user_id: str) -> float | None:
        """The user's not-before time, or None; the ``TokenVerifier`` hook (sync, no I/O)."""
        if self._loaded_at is None or self._clock() - self._loaded_at > self._max_staleness:
            raise AuthUnavailableError()
        return self._not_before.get(user_id)

    def note(self, user_id: str, not_before: float) -> None:
        """Apply a revocation made by this process at once (others see it on reload)."""
        current = self._not_before.get(user_id)
        if current is None or current < not_before:
            self._not_before[user_id] = not_before
        self._notes[user_id] = (not_before, self._clock())

    async def reload(self) -> None:
        """Read the whole (small) revocations table."""
        now = time.time()
        scan_started = self._clock()
        loaded: dict[str, float] = {}
        start: Item | None = None
        while True:
            page = await self._store().scan(REVOCATIONS_TABLE, exclusive_start_key=start)
            for item in page.items:
                expires = item.get(TTL_ATTRIBUTE)
                if expires is not None and float(str(expires)) <= now:
                    continue  # every token it could refuse has expired
                loaded[str(item["user_id"])] = float(str(item["not_before"]))
            start = page.last_evaluated_key
            if start is None:
                break
        # A note made while the scan ran may be missing from it: keep recent notes.
        self._notes = {
            user_id: (not_before, noted_at)
            for user_id, (not_before, noted_at) in self._notes.items()
            if noted_at >= scan_started - self._interval
        }
        for user_id, (not_before, _noted_at) in self._notes.items():
            if loaded.get(user_id, 0.0) < not_before:
                loaded[user_id] = not_before
        self._not_before = loaded
        self._loaded_at = self._clock()
