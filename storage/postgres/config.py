"""Configuration of the PostgreSQL backend, and reading it from a ``postgresql://`` URL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["PostgresConfig"]

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class PostgresConfig:
    """Where and how the PostgreSQL backend keeps its data.

    ``url`` is a libpq connection URL (``postgresql://user:pass@host:5432/db``);
    ``schema`` the PostgreSQL schema holding baas's tables (created if missing), so one
    database can hold several baas stores. ``pool_size`` bounds the connections each
    process opens for reads (plus one for writes and one listening for changes).
    ``lock_timeout_ms`` is how long a write waits for the store's write lock held by
    another process before answering "busy, retry later". ``connect_timeout`` bounds
    each connection attempt. ``feed_retention_seconds`` and
    ``ttl_sweep_interval_seconds`` are as for SQLite.
    """

    url: str = field(repr=False)  # it may carry a password
    schema: str = "baas"
    pool_size: int = 10
    lock_timeout_ms: int = 5000
    connect_timeout: float = 5.0
    feed_retention_seconds: float = 24 * 3600
    ttl_sweep_interval_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not _SCHEMA_NAME.fullmatch(self.schema):
            raise ValueError("a schema name is 1-63 characters among a-z 0-9 _")
        if self.pool_size < 1:
            raise ValueError("pool_size must be at least 1")

    @classmethod
    def from_url(cls, url: str, **options: float) -> PostgresConfig:
        """Read ``postgresql://…[?schema=name]``: ``schema`` is baas's, the rest libpq's."""
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
            raise ValueError("give a URL such as postgresql://user:password@host:5432/database")
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((value for name, value in query if name == "schema"), "baas")
        libpq_query = urlencode([(name, value) for name, value in query if name != "schema"])
        libpq_url = urlunsplit(("postgresql", parts.netloc, parts.path, libpq_query, ""))
        return cls(libpq_url, schema, **options)  # type: ignore[arg-type]

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit((parts.scheme, user + host, parts.path, "", ""))
