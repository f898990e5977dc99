"""LISTEN for the store's change notices, on one connection per process.

Each write transaction NOTIFYs the store's channel (see :mod:`storage.postgres.writer`);
PostgreSQL delivers the notice to every listening connection once the transaction
commits. The listener calls ``on_notice`` for each, which wakes this process's feed
readers (subscriptions, triggers, Streams) within milliseconds of a commit made by
any process. If the connection is lost it is re-made with a growing pause, and
``on_notice`` is called once it is back, since notices may have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from storage.background import BackgroundTask
from storage.postgres.config import PostgresConfig
from storage.postgres.schema import connect

__all__ = ["ChangeListener"]

_log = logging.getLogger(__name__)
_MAX_PAUSE = 5.0


class ChangeListener:
    """A background task listening on ``channel``."""

    def __init__(self, config: PostgresConfig, channel: str, on_notice: Callable[[], None]) -> None:
        self._config = config
        self._channel = channel
        self._on_notice = on_notice
        self._task = BackgroundTask("baas-postgres-listener", self._run)

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def _run(self) -> None:
        pause = 0.1
        while True:
            try:
                connection = await connect(self._config, autocommit=True)
                try:
                    await connection.execute(
                        sql.SQL("LISTEN {}").format(sql.Identifier(self._channel))
                    )
                    pause = 0.1
                    self._on_notice()  # whatever committed while nobody listened
                    async for _notice in connection.notifies():
                        self._on_notice()
                finally:
                    await connection.close()
            except (psycopg.Error, OSError) as exc:
                _log.warning("listening for store changes failed (%s); retrying", exc)
            await asyncio.sleep(pause)
            pause = min(pause * 2, _MAX_PAUSE)
