"""Group commit: one writer thread per store applies all queued write jobs.

Committing is the expensive part of a durable write (an fsync with
``synchronous=FULL``). The writer takes every job waiting in its queue, runs each
inside its own SAVEPOINT (a failing job rolls back alone), commits once, and only
then resolves the jobs' futures, with one wake-up of the event loop per batch. Under
concurrency many writes share one fsync, which is how the store beats committing
once per write. The write lock is taken with ``BEGIN IMMEDIATE`` so conditions are
evaluated under it, also against other processes sharing the file.

When a commit costs no fsync (``synchronous=NORMAL`` in WAL mode: the commit is a
write to the WAL file) and the writer is idle, a job runs *inline* on the caller's
thread instead, in a transaction of its own: handing it to the thread and waking the
event loop back costs more than the write. It is the same transaction on the same
connection, committed before the result is returned, so durability and atomicity are
those of the thread's path. The inline path never waits for the write lock: when
another process holds it, the job goes to the thread, which waits up to the busy
timeout without blocking the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from storage.sqlite.failures import storage_failure

__all__ = ["GroupCommitWriter"]

T = TypeVar("T")
_MAX_BATCH = 512


@dataclass
class _Job:
    work: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class _LockBusyError(Exception):
    """The inline path found the write lock held by another connection."""


class GroupCommitWriter:
    """Runs write jobs in a dedicated thread with its own connection (or inline).

    ``on_commit`` is called on the event loop of the committed jobs after each commit.
    ``inline`` allows running a job on the caller's thread when the writer is idle;
    ``busy_timeout_ms`` is then how long the thread waits for the write lock (the
    connection's own timeout is used otherwise).
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        on_commit: Callable[[], None],
        *,
        inline: bool = False,
        busy_timeout_ms: int = 5000,
    ) -> None:
        self._connection = connection
        self._on_commit = on_commit
        self._inline = inline
        self._busy_timeout = f"PRAGMA busy_timeout = {int(busy_timeout_ms)}"
        if inline:
            # Inline attempts never wait for the lock; the thread sets the timeout while
            # it takes the lock (see _begin).
            connection.execute("PRAGMA busy_timeout = 0")
        # Held while a transaction is open on the connection, by the thread or inline.
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="baas-sqlite-writer", daemon=True)
        self._thread.start()

    async def submit(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` inside the next write transaction; its result.

        The result is returned only after the transaction committed.
        """
        if self._inline and self._queue.empty() and self._lock.acquire(blocking=False):
            try:
                result: T = self._run_inline(work)
            except _LockBusyError:
                pass  # another process writes: wait for the lock on the thread
            else:
                self._on_commit()
                return result
            finally:
                self._lock.release()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, future, loop))
        return await future

    async def close(self) -> None:
        """Finish queued jobs, stop the thread and close its connection."""
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        self._connection.close()

    def _run_inline(self, work: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._connection
        try:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:  # extended codes too
                    raise _LockBusyError from exc
                raise
            try:
                result = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise storage_failure(exc) from exc
        return result

    def _run(self) -> None:
        stopping = False
        while not stopping:
            job = self._queue.get()
            if job is None:
                break
            batch = [job]
            while len(batch) < _MAX_BATCH:
                try:
                    following = self._queue.get_nowait()
                except queue.Empty:
                    break
                if following is None:
                    stopping = True
                    break
                batch.append(following)
            with self._lock:
                outcomes = self._run_batch(batch)
            self._settle(outcomes)

    def _run_batch(self, batch: list[_Job]) -> list[tuple[_Job, Any, BaseException | None]]:
        connection = self._connection
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            self._begin(connection)
            outcomes.extend(self._run_job(connection, job) for job in batch)
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            failure = storage_failure(exc)
            outcomes = [(job, None, failure) for job in batch]
        return outcomes

    def _begin(self, connection: sqlite3.Connection) -> None:
        """Take the write lock, waiting up to the busy timeout for other processes."""
        if not self._inline:
            connection.execute("BEGIN IMMEDIATE")
            return
        connection.execute(self._busy_timeout)
        try:
            connection.execute("BEGIN IMMEDIATE")
        finally:
            connection.execute("PRAGMA busy_timeout = 0")

    @staticmethod
    def _run_job(
        connection: sqlite3.Connection, job: _Job
    ) -> tuple[_Job, Any, BaseException | None]:
        connection.execute("SAVEPOINT job")
        try:
            result = job.work(connection)
        except sqlite3.Error:
            raise  # the engine failed: the whole batch fails
        except Exception as exc:  # noqa: BLE001 - handed to the caller's future
            connection.execute("ROLLBACK TO job")
            connection.execute("RELEASE job")
            return job, None, exc
        connection.execute("RELEASE job")
        return job, result, None

    def _settle(self, outcomes: list[tuple[_Job, Any, BaseException | None]]) -> None:
        """Resolve the futures with one wake-up of each waiting event loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, Any, BaseException | None]]]
        by_loop = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].loop, []).append(outcome)
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(self._resolve, settled)

    def _resolve(self, settled: list[tuple[_Job, Any, BaseException | None]]) -> None:
        for job, result, error in settled:
            if job.future.cancelled():
                continue
            if error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(result)
        self._on_commit()
