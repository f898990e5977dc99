"""WAL checkpoints off the write path.

In WAL mode every commit appends pages to the ``-wal`` file; a *checkpoint* copies
them back into the database file, syncing both. SQLite's default runs one inside the
commit that crosses 1,000 pages, so every few hundred writes one request waited for a
checkpoint and its fsyncs (measured: commits 32 µs median but 76 µs mean, up to 9 ms,
with ``synchronous=NORMAL``) — and with inline commits the whole event loop waited.

Here the writer's connection never checkpoints (``wal_autocheckpoint = 0``); a thread
with a connection of its own runs a PASSIVE checkpoint (it never blocks readers or
writers) after every ``every_commits`` commits, and after a quiet ``idle_seconds`` if
any commit is not checkpointed yet. When a checkpoint has copied everything, the next
commit starts the WAL over from its beginning, so the file stays small.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

__all__ = ["Checkpointer"]

_log = logging.getLogger("storage.sqlite")


class Checkpointer:
    """Checkpoints one database's WAL on a thread of its own."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        every_commits: int = 256,
        idle_seconds: float = 1.0,
    ) -> None:
        self._connect = connect
        self._every = every_commits
        self._idle_seconds = idle_seconds
        self._pending = 0  # commits since the last checkpoint (a hint: races are harmless)
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="baas-sqlite-checkpoints")
        self._thread.daemon = True
        self._thread.start()

    def committed(self) -> None:
        """Note one commit (called by the writer; cheap)."""
        self._pending += 1
        if self._pending >= self._every:
            self._wake.set()

    def stop(self) -> None:
        """Stop the thread (blocking until it has; the last checkpoint is SQLite's own
        when the last connection closes)."""
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            connection = self._connect()
        except sqlite3.Error:
            _log.exception("the checkpoint thread cannot open the database")
            return
        try:
            while True:
                self._wake.wait(self._idle_seconds)
                self._wake.clear()
                if self._stopping:
                    return
                if self._pending == 0:
                    continue
                self._pending = 0
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:
                    # The next round tries again; commits are unaffected meanwhile.
                    _log.warning("a WAL checkpoint failed: %s", exc)
        finally:
            connection.close()
