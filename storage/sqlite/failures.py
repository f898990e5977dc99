"""What an SQLite failure means to the store's caller: retry later, or an outage."""

from __future__ import annotations

import sqlite3

from storage.errors import StorageBusyError, StorageUnavailableError

__all__ = ["storage_failure"]

_UNAVAILABLE = "The storage backend is unavailable, retry later"
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def storage_failure(exc: sqlite3.Error) -> StorageUnavailableError:
    """The store error for ``exc``, chained to it for the log.

    SQLITE_BUSY / SQLITE_LOCKED (extended codes included) mean another connection kept
    the lock past the busy timeout: :class:`StorageBusyError`, answered "retry later"
    (503) rather than as an outage (500).
    """
    code = getattr(exc, "sqlite_errorcode", None)
    busy = code is not None and code & 0xFF in _BUSY_CODES
    failure = (StorageBusyError if busy else StorageUnavailableError)(
        "The store is busy, retry later" if busy else _UNAVAILABLE
    )
    failure.__cause__ = exc
    return failure
