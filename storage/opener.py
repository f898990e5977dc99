"""Opening a document store from its configuration, or from a URL.

    async with open_store(SqliteConfig(Path("data.db"))) as store:
        await store.create_table(TableSpec("users", KeyAttribute("id", "S")))
        await store.put_item("users", {"id": "u1", "name": "Ada"})

    store = await open_store(config_from_url("postgresql://app@db:5432/app"))

Two backends, one behaviour (the conformance suite runs on both):

- **SQLite** (``sqlite:///path``): one file, WAL journal with ``synchronous=FULL`` by
  default, so a write is acknowledged only once it is fsynced and survives kill -9 and
  power loss; ``synchronous="NORMAL"`` trades the last commits on power loss for speed.
  Several processes on one machine may share the file; writes are serialised by
  SQLite's write lock.
- **PostgreSQL** (``postgresql://user:pass@host:port/db[?schema=name]``): processes on
  many machines share one database; writes are serialised by the store's advisory lock
  and acknowledged once committed (durable as the server's ``synchronous_commit``).
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from storage.backend import Backend
from storage.postgres import PostgresConfig
from storage.sqlite import SqliteBackend, SqliteConfig
from storage.store import DocumentStore
from storage.ttl import TtlSweeper

__all__ = ["OpenStore", "StoreConfig", "config_from_url", "describe_store", "open_store"]

StoreConfig = SqliteConfig | PostgresConfig


def config_from_url(url: str) -> StoreConfig:
    """The configuration a store URL names; ValueError (with what is wrong) if none.

    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, or
    ``postgresql://user:password@host:port/database[?schema=name]``.
    """
    scheme = urlsplit(url).scheme
    if scheme in ("postgresql", "postgres"):
        return PostgresConfig.from_url(url)
    if scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError("give a file, as in sqlite:///data/baas.sqlite3")
        return SqliteConfig(Path(path))
    raise ValueError("give a sqlite:///path or postgresql://user:password@host:port/db URL")


def describe_store(config: StoreConfig) -> str:
    """Where the store is, for messages: never a password."""
    if isinstance(config, PostgresConfig):
        return f"PostgreSQL at {config.safe_url} (schema {config.schema})"
    return f"SQLite file {config.path}"


def open_store(config: StoreConfig) -> OpenStore:
    """Open the store described by ``config`` and start its TTL sweeper.

    Either ``store = await open_store(config)`` (then ``await store.close()``) or
    ``async with open_store(config) as store: ...``.
    """
    return OpenStore(config)


class OpenStore:
    """The result of :func:`open_store`: awaitable, and an async context manager."""

    def __init__(self, config: StoreConfig) -> None:
        self._config = config
        self._store: DocumentStore | None = None

    async def _open(self) -> DocumentStore:
        config = self._config
        backend: Backend
        if isinstance(config, PostgresConfig):
            from storage.postgres.backend import PostgresBackend  # loads the driver

            backend = await PostgresBackend.open(config)
        else:
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
