"""The embedded SQLite backend (one file, WAL, shareable by several processes)."""

from storage.sqlite.backend import SqliteBackend
from storage.sqlite.config import SqliteConfig

__all__ = ["SqliteBackend", "SqliteConfig"]
