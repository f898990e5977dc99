"""Running argon2 off the event loop, with bounded concurrency.

Each hash or verification takes tens of milliseconds of CPU and (by default) 64 MiB of
memory. On the event loop it would stall every other request; unbounded in threads,
a burst of sign-ins could exhaust memory (threat: denial of service through the
hasher). So the work runs in worker threads, at most ``max_concurrent`` at a time.
"""

from __future__ import annotations

import asyncio

from auth.passwords import PasswordHasher, PasswordVerification

__all__ = ["PasswordWork"]


class PasswordWork:
    """Async façade over :class:`PasswordHasher`."""

    def __init__(self, hasher: PasswordHasher, *, max_concurrent: int = 2) -> None:
        self.hasher = hasher
        self._slots = asyncio.Semaphore(max_concurrent)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self.hasher.hash_password, password)

    async def verify(self, stored_hash: str, password: str) -> PasswordVerification:
        async with self._slots:
            return await asyncio.to_thread(self.hasher.verify_password, stored_hash, password)

    async def verify_dummy(self, password: str) -> None:
        """As long as a real verification, for a missing account (no user enumeration)."""
        async with self._slots:
            await asyncio.to_thread(self.hasher.verify_dummy, password)
