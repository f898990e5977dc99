"""WAL checkpoints run on their own thread, never inside a commit (SQLite only)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import KeyAttribute, SqliteConfig, TableSpec, open_store


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
async def test_commits_leave_the_wal_to_the_checkpoint_thread(
    tmp_path: Path, synchronous: str
) -> None:
    path = tmp_path / "store.db"
    config = SqliteConfig(path, synchronous=synchronous)  # type: ignore[arg-type]
    async with open_store(config) as store:
        await store.create_table(TableSpec("items", KeyAttribute("id")))
        size_before = path.stat().st_size
        await asyncio.gather(
            *(store.put_item("items", {"id": f"i{n}", "body": "x" * 2000}) for n in range(400))
        )
        # No commit checkpoints (SQLite's own would have run at 1,000 pages; these
        # writes made more): the database file grows only once the thread has copied
        # the WAL into it.
        await _until(lambda: path.stat().st_size > size_before + 400 * 2000)
        assert await store.get_item("items", {"id": "i399"}) is not None
    # Closing checkpoints what is left: the file alone holds every item.
    reopened = sqlite3.connect(path)
    try:
        assert reopened.execute("SELECT count(*) FROM items").fetchone()[0] == 400
    finally:
        reopened.close()


async def test_the_writer_never_checkpoints_inside_a_commit(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    async with open_store(SqliteConfig(path, synchronous="NORMAL")) as store:
        writer = store._backend._writer._connection  # type: ignore[attr-defined]
        assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0


async def _until(condition: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + 10.0
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
