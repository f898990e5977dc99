"""A consistent copy of a live SQLite store, with SQLite's online backup API."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from storage.errors import StorageUnavailableError
from storage.sqlite.config import SqliteConfig
from storage.sqlite.schema import connect

__all__ = ["backup"]


def backup(config: SqliteConfig, destination: Path) -> None:
    """Copy the store into a new file at ``destination`` (mode 0600), while it serves.

    The backup API copies pages under a read transaction: the copy is the store as of
    one commit, writes by other processes go on meanwhile. The file holds the same
    secrets as the store (sealed, but with password hashes): keep it as private.
    """
    if destination.exists():
        raise FileExistsError(destination)
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        source = connect(config)
        try:
            target = sqlite3.connect(destination)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        destination.unlink(missing_ok=True)
        raise StorageUnavailableError("The database file cannot be backed up") from exc
