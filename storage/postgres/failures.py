"""What a PostgreSQL failure means to the store's caller: retry later, or an outage."""

from __future__ import annotations

import psycopg
from psycopg import errors

from storage.errors import StorageBusyError, StorageUnavailableError, StorageUnreachableError

__all__ = ["UNREACHABLE", "postgres_failure"]

UNREACHABLE = "The store cannot be reached, retry later"
_BUSY = (errors.LockNotAvailable, errors.QueryCanceled, errors.TooManyConnections)


def postgres_failure(exc: BaseException) -> StorageUnavailableError:
    """The store error for ``exc``, chained to it for the log (never shown to a client).

    A lock or connection slot not granted in time is :class:`StorageBusyError`; a lost or
    refused connection :class:`StorageUnreachableError` (both "retry later", 503);
    anything else a :class:`StorageUnavailableError`. None carries the server's message:
    it may name tables or values.
    """
    failure: StorageUnavailableError
    if isinstance(exc, _BUSY):
        failure = StorageBusyError("The store is busy, retry later")
    elif isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError | OSError):
        failure = StorageUnreachableError(UNREACHABLE)
    else:
        failure = StorageUnavailableError("The storage backend is unavailable, retry later")
    failure.__cause__ = exc
    return failure
