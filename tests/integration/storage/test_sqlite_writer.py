"""The SQLite writer when another connection holds the write lock (SQLite only)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from storage import KeyAttribute, SqliteConfig, TableSpec, open_store
from storage.errors import StorageBusyError


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
async def test_a_write_waits_for_another_process_lock_then_commits(
    tmp_path: Path, synchronous: str
) -> None:
    path = tmp_path / "store.db"
    config = SqliteConfig(path, synchronous=synchronous)  # type: ignore[arg-type]
    async with open_store(config) as store:
        await store.create_table(TableSpec("items", KeyAttribute("id")))
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # as another process writing
            write = asyncio.create_task(store.put_item("items", {"id": "a", "n": 1}))
            # Reads are served while the write waits for the lock, which it does not give up.
            assert await store.get_item("items", {"id": "a"}) is None
            await asyncio.sleep(0.2)
            assert not write.done()
            other.execute("COMMIT")
        finally:
            other.close()
        await write
        assert await store.get_item("items", {"id": "a"}) == {"id": "a", "n": 1}


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
async def test_a_write_refused_past_the_busy_timeout_says_retry_later_and_applies_nothing(
    tmp_path: Path, synchronous: str
) -> None:
    path = tmp_path / "store.db"
    config = SqliteConfig(path, synchronous=synchronous, busy_timeout_ms=100)  # type: ignore[arg-type]
    async with open_store(config) as store:
        await store.create_table(TableSpec("items", KeyAttribute("id")))
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # as a process paused inside its transaction
            with pytest.raises(StorageBusyError) as refused:
                await store.put_item("items", {"id": "a", "n": 1})
            assert refused.value.code == "ServiceUnavailable"
            assert refused.value.retry_after > 0
            assert await store.get_item("items", {"id": "a"}) is None  # reads go on
        finally:
            other.execute("COMMIT")
            other.close()
        await store.put_item("items", {"id": "a", "n": 2})  # the retry succeeds
        assert await store.get_item("items", {"id": "a"}) == {"id": "a", "n": 2}
        assert [r.new_image for r in await store.changes.read(0, 10) if r.table == "items"] == [
            {"id": "a", "n": 2}
        ]
