"""The read connections of one process: a few autocommit connections, lent one at a time.

A key lookup is one short statement, so what lending a connection costs matters:
psycopg_pool's checkout (its locks, statistics and maintenance) halved the rate of
single-item reads measured here. This pool is a list and a queue of waiters: an idle
connection is lent at once, a new one is opened while fewer than ``size`` exist, and
otherwise the reader waits for the next one given back. A connection given back broken
(the server went away) is dropped, so the next reader opens a fresh one: the store
recovers by itself when the database comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

from storage.postgres.config import PostgresConfig
from storage.postgres.schema import Connection, connect

__all__ = ["ReadConnections"]


class ReadConnections:
    """At most ``config.pool_size`` autocommit connections, lent by :meth:`connection`."""

    def __init__(self, config: PostgresConfig) -> None:
        self._config = config
        self._idle: list[Connection] = []
        self._waiting: deque[asyncio.Future[Connection | None]] = deque()
        self._open = 0
        self._closed = False
        self._closing: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        connection = await self._take()
        try:
            yield connection
        finally:
            self._give_back(connection)

    async def close(self) -> None:
        self._closed = True
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    async def _take(self) -> Connection:
        while True:
            if self._closed:
                raise OSError("the store is closed")
            if self._idle:
                return self._idle.pop()
            if self._open < self._config.pool_size:
                self._open += 1
                try:
                    return await connect(self._config, autocommit=True)
                except BaseException:
                    self._open -= 1
                    self._wake_one(None)  # a waiter may try to connect in its turn
                    raise
            waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                given = await waiter
            except asyncio.CancelledError:
                handed = waiter.result() if waiter.done() and not waiter.cancelled() else None
                if handed is not None:
                    self._give_back(handed)  # handed over just as we were cancelled
                raise
            if given is not None:
                return given

    def _give_back(self, connection: Connection) -> None:
        if connection.closed or connection.broken or self._closed:
            self._open -= 1
            if not connection.closed:
                task = asyncio.get_running_loop().create_task(connection.close())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
            self._wake_one(None)  # room to open another
            return
        if not self._wake_one(connection):
            self._idle.append(connection)

    def _wake_one(self, connection: Connection | None) -> bool:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False
