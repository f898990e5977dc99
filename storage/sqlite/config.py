"""Configuration of the SQLite backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["SqliteConfig"]


@dataclass(frozen=True)
class SqliteConfig:
    """Where and how the SQLite backend stores data.

    ``synchronous="FULL"`` (the default) fsyncs the WAL on every commit, so an
    acknowledged write survives a power cut; ``"NORMAL"`` survives a crash of the
    process (kill -9) but may lose the last commits on power loss, for more speed.
    ``busy_timeout_ms`` is how long a write waits for another process holding the
    write lock before failing. ``feed_retention_seconds`` bounds the change feed;
    ``ttl_sweep_interval_seconds`` is how often expired items and old change records
    are removed.
    """

    path: Path
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    busy_timeout_ms: int = 5000
    feed_retention_seconds: float = 24 * 3600
    ttl_sweep_interval_seconds: float = 30.0
