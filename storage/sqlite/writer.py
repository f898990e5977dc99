"""Group commit: one writer thread per store applies all queued write jobs.

Committing is the expensive part of a durable write (an fsync with
``synchronous=FULL``). The writer takes every job waiting in its queue, runs each
inside its own SAVEPOINT (a failing job rolls back alone), commits once, and only
then resolves the jobs' futures. Under concurrency many writes share one fsync,
which is how the store beats committing once per write. The write lock is taken
with ``BEGIN IMMEDIATE`` so conditions are evaluated under it, also against other
processes sharing the file.
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

from storage.errors import StorageUnavailableError

__all__ = ["GroupCommitWriter"]

T = TypeVar("T")
_MAX_BATCH = 512


@dataclass
class _Job:
    work: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class GroupCommitWriter:
    """Runs write jobs in a dedicated thread with its own connection."""

    def __init__(self, connection: sqlite3.Connection, on_commit: Callable[[], None]) -> None:
        self._connection = connection
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="baas-sqlite-writer", daemon=True)
        self._thread.start()

    async def submit(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` inside the next write transaction; its result.

        The result is returned only after the transaction committed.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, future, loop))
        return await future

    async def close(self) -> None:
        """Finish queued jobs, stop the thread and close its connection."""
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        self._connection.close()

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
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        connection = self._connection
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            connection.execute("BEGIN IMMEDIATE")
            outcomes.extend(self._run_job(connection, job) for job in batch)
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            failure = StorageUnavailableError("The storage backend is unavailable, retry later")
            failure.__cause__ = exc
            outcomes = [(job, None, failure) for job in batch]
        for job, result, error in outcomes:
            _settle(job, result, error)
        self._on_commit()

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


def _settle(job: _Job, result: Any, error: BaseException | None) -> None:
    def resolve() -> None:
        if job.future.cancelled():
            return
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the caller's loop is closed: nobody waits
        job.loop.call_soon_threadsafe(resolve)
