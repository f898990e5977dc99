"""Group commit on PostgreSQL: one writer connection per process, one lock per store.

Every write of a process is queued for one writer task. It takes all the jobs
waiting, opens one transaction, takes the store's **write lock** (a transaction-level
advisory lock, shared by every process on the database), runs each job in a SAVEPOINT
of its own (a failing job rolls back alone), and commits once; only then are the
jobs' results handed back. So:

- conditions are evaluated under the lock, against the latest committed state, and a
  conditional write or transaction is atomic across processes and machines, without
  serialization failures or deadlocks to retry;
- change records are numbered under the lock, so numbers are given in commit order
  and a reader never sees a number before a smaller one that commits later (the
  feed is gap-free for every reader, however long a transaction runs);
- under concurrency many writes share one commit (and one WAL flush).

A failure before COMMIT was sent leaves nothing committed: the batch is retried on a
fresh connection, invisibly to the callers (also on a serialization failure or
deadlock, which the lock rules out unless the server is configured otherwise). A
connection lost during COMMIT leaves the outcome unknown: those callers get "storage
unavailable" rather than a guess. The lock not coming within ``lock_timeout_ms`` is
"busy, retry later".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import errors

from storage.backend import WriteOutcome
from storage.background import BackgroundTask
from storage.errors import StorageError, StorageUnavailableError
from storage.postgres.batch_writes import WriteRequest, apply_writes
from storage.postgres.config import PostgresConfig
from storage.postgres.failures import postgres_failure
from storage.postgres.schema import Connection, connect, lock_key

__all__ = ["GroupCommitWriter", "Work"]

T = TypeVar("T")
Work = Callable[[Connection], Awaitable[Any]]
_log = logging.getLogger(__name__)
_MAX_BATCH = 512
_ATTEMPTS = 3
_RETRYABLE = (errors.SerializationFailure, errors.DeadlockDetected)
_UNAVAILABLE = "The storage backend is unavailable, retry later"


@dataclass
class _Job:
    """Work to run on the connection, or a plain write for the batched fast path."""

    work: Work | None
    request: WriteRequest | None
    future: asyncio.Future[Any]


class _CommitUnknownError(Exception):
    """The connection was lost while COMMIT was in flight."""


class GroupCommitWriter:
    """Runs write jobs on one connection, many per transaction (see the module docstring).

    ``on_commit`` is called after each commit; ``channel`` is NOTIFYed in each
    transaction that ran a job, so other processes' feed readers wake up.
    """

    def __init__(self, config: PostgresConfig, channel: str, on_commit: Callable[[], None]) -> None:
        self._config = config
        self._channel = channel
        self._on_commit = on_commit
        self._lock_key = lock_key(config, "write")
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._connection: Connection | None = None
        self._task = BackgroundTask("baas-postgres-writer", self._run)

    async def submit(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        """Run ``work`` in the next transaction; its result once that committed."""
        return await self._enqueue(work, None)  # type: ignore[no-any-return]

    async def write(self, request: WriteRequest) -> list[WriteOutcome]:
        """Apply a plain write (no token) in the next transaction, with the batch's others."""
        return await self._enqueue(None, request)  # type: ignore[no-any-return]

    async def _enqueue(self, work: Work | None, request: WriteRequest | None) -> Any:
        self._task.start()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(work, request, future))
        return await future

    async def close(self) -> None:
        await self._task.stop()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            batch = [job for job in batch if not job.future.cancelled()]
            if batch:
                await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[_Job]) -> None:
        failure: StorageError = StorageUnavailableError(_UNAVAILABLE)
        for attempt in range(_ATTEMPTS):
            try:
                results = await self._transaction(batch)
            except _RETRYABLE as exc:
                failure.__cause__ = exc
                continue  # nothing committed: run the batch again
            except errors.LockNotAvailable as exc:
                failure = postgres_failure(exc)
                break
            except _CommitUnknownError as exc:
                # Not "retry later": the write may have been applied.
                _log.error("the connection to PostgreSQL was lost during a commit")
                failure = StorageUnavailableError(_UNAVAILABLE)
                failure.__cause__ = exc.__cause__
                break
            except (psycopg.Error, OSError) as exc:
                await self._drop_connection()
                failure = postgres_failure(exc)
                if attempt + 1 < _ATTEMPTS:
                    _log.warning("PostgreSQL write failed before commit, retrying: %s", exc)
                    await asyncio.sleep(0.05 * (attempt + 1))
                continue
            for job, (result, error) in zip(batch, results, strict=True):
                _settle(job.future, result, error)
            self._on_commit()
            return
        for job in batch:
            _settle(job.future, None, failure)

    async def _transaction(self, batch: list[_Job]) -> list[tuple[Any, BaseException | None]]:
        connection = await self._connected()
        results: list[tuple[Any, BaseException | None]] = []
        # BEGIN and the lock travel with the first reads: one round trip, not three.
        begin = [("BEGIN", ()), ("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))]
        try:
            position = 0
            while position < len(batch):
                # Consecutive plain writes go together (two round trips for all of them).
                run = list(
                    itertools.takewhile(lambda job: job.request is not None, batch[position:])
                )
                if run:
                    requests = [job.request for job in run if job.request is not None]
                    results += await apply_writes(connection, requests, prelude=begin)
                    position += len(run)
                else:
                    if begin:
                        async with connection.pipeline():
                            for statement, parameters in begin:
                                await connection.execute(statement, parameters)
                    results.append(await self._run_alone(connection, batch[position]))
                    position += 1
                begin = []
        except BaseException:
            with contextlib.suppress(psycopg.Error, OSError):
                await connection.execute("ROLLBACK")
            raise
        await self._notify_and_commit(connection)
        return results

    async def _notify_and_commit(self, connection: Connection) -> None:
        """NOTIFY and COMMIT in one round trip; an unknown outcome is said so."""
        try:
            async with connection.pipeline():
                await connection.execute("SELECT pg_notify(%s, '')", (self._channel,))
                await connection.execute("COMMIT")
        except psycopg.OperationalError as exc:
            if connection.broken or connection.closed:
                await self._drop_connection()
                raise _CommitUnknownError from exc
            with contextlib.suppress(psycopg.Error, OSError):
                await connection.execute("ROLLBACK")  # refused before COMMIT ran
            raise

    async def _run_alone(
        self, connection: Connection, job: _Job
    ) -> tuple[Any, BaseException | None]:
        assert job.work is not None  # noqa: S101 - a job is work or a request
        try:
            async with connection.transaction():  # a SAVEPOINT of its own
                return await job.work(connection), None
        except (psycopg.OperationalError, *_RETRYABLE):
            raise  # the whole transaction is lost
        except psycopg.Error as exc:
            return None, postgres_failure(exc)
        except Exception as exc:  # noqa: BLE001 - the job's own failure, its caller's
            return None, exc

    async def _connected(self) -> Connection:
        if self._connection is None or self._connection.closed:
            self._connection = await connect(self._config, autocommit=True)
            await self._connection.execute(
                f"SET lock_timeout = {int(self._config.lock_timeout_ms)}"
            )
        return self._connection

    async def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                await self._connection.close()
            self._connection = None


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return  # the caller gave up (cancelled); the write stands or not as committed
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
