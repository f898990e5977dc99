"""Opening a document store from its configuration.

    async with open_store(SqliteConfig(Path("data.db"))) as store:
        await store.create_table(TableSpec("users", KeyAttribute("id", "S")))
        await store.put_item("users", {"id": "u1", "name": "Ada"})

Durability (SQLite): WAL journal with ``synchronous=FULL`` by default, so a write is
acknowledged only once it is fsynced and survives kill -9 and power loss;
``synchronous="NORMAL"`` trades the last commits on power loss for speed. Several
processes may open the same file; writes are serialised by SQLite's write lock.
"""

from __future__ import annotations

from collections.abc import Generator
from types import TracebackType
from typing import Any

from storage.sqlite import SqliteBackend, SqliteConfig
from storage.store import DocumentStore
from storage.ttl import TtlSweeper

__all__ = ["OpenStore", "open_store"]


def open_store(config: SqliteConfig) -> OpenStore:
    """Open the store described by ``config`` and start its TTL sweeper.

    Either ``store = await open_store(config)`` (then ``await store.close()``) or
    ``async with open_store(config) as store: ...``.
    """
    return OpenStore(config)


class OpenStore:
    """The result of :func:`open_store`: awaitable, and an async context manager."""

    def __init__(self, config: SqliteConfig) -> None:
        self._config = config
        self._store: DocumentStore | None = None

    async def _open(self) -> DocumentStore:
        config = self._config
        backend = SqliteBackend(config)
        sweeper = TtlSweeper(
            backend, config.ttl_sweep_interval_seconds, config.feed_retention_seconds
        )
        sweeper.start()
        return DocumentStore(backend, sweeper)

    def __await__(self) -> Generator[Any, None, DocumentStore]:
        return self._open().__await__()

    async def __aenter__(self) -> DocumentStore:
        self._store = await self._open()
        return self._store

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._store is not None:
            await self._store.close()
