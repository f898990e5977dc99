"""The background sweeper: expires TTL items and prunes the change feed.

DynamoDB deletes an item whose TTL attribute (a Number of epoch seconds) lies in the
past, typically within days; this store does it within one sweep interval. Values
more than five years in the past are ignored, as DynamoDB ignores them. Each
deletion re-checks the expiry inside the write transaction (the item may have been
updated since it was found) and is recorded in the change feed as a system delete.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from decimal import Decimal

from storage.backend import KEEP, Backend, Keep, WriteTarget
from storage.background import BackgroundTask
from storage.errors import StorageError
from storage.values import Item

__all__ = ["TtlSweeper"]

_log = logging.getLogger(__name__)
_BATCH = 100


class TtlSweeper:
    """Runs :meth:`sweep` every ``interval`` seconds in a background task."""

    def __init__(self, backend: Backend, interval: float, feed_retention: float) -> None:
        self._backend = backend
        self._interval = interval
        self._feed_retention = feed_retention
        self._task = BackgroundTask("baas-ttl-sweeper", self._run)

    def start(self) -> None:
        """Start the background task (idempotent)."""
        self._task.start()

    async def stop(self) -> None:
        """Stop the background task and wait for it."""
        await self._task.stop()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep()
            except StorageError:
                # A busy or failing database must not kill the sweeper; retry next time.
                _log.warning("TTL sweep failed; retrying at the next interval", exc_info=True)
            except Exception:  # noqa: BLE001 - a background task must outlive one bad sweep
                _log.exception("TTL sweep crashed; retrying at the next interval")

    async def sweep(self, now: float | None = None) -> int:
        """Delete every expired item now; returns how many were deleted."""
        now = time.time() if now is None else now
        deleted = 0
        for name in await self._backend.list_tables():
            spec = await self._backend.get_table(name)
            if spec is None or spec.ttl_attribute is None:
                continue
            attribute = spec.ttl_attribute
            while keys := await self._backend.expired_keys(spec, now, _BATCH):
                outcomes = await self._backend.write(
                    [WriteTarget(name, key) for key in keys],
                    functools.partial(_expire_all, attribute=attribute, now=now),
                    system=True,
                )
                removed = sum(1 for outcome in outcomes if outcome.old and not outcome.new)
                deleted += removed
                if removed == 0:
                    break
        await self._backend.prune_changes(now - self._feed_retention)
        return deleted


def _expire_all(olds: list[Item | None], attribute: str, now: float) -> list[Item | Keep | None]:
    return [_expire(old, attribute, now) for old in olds]


def _expire(old: Item | None, attribute: str, now: float) -> Keep | None:
    if old is None:
        return KEEP
    value = old.get(attribute)
    if isinstance(value, Decimal) and value < Decimal(repr(now)):
        return None
    return KEEP
