"""The SQLite file's schema: a file of an earlier version is brought up to date with
every item, GSI entry and change number kept (SQLite only)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import DocumentStore, IndexSpec, KeyAttribute, SqliteConfig, TableSpec, open_store
from storage.errors import StorageUnavailableError
from storage.sqlite.schema import SCHEMA_VERSION
from storage.values import Item

# Version 1 of the three tables that changed, as earlier files hold them.
_VERSION_1 = {
    "items": """CREATE TABLE items (
        tbl TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, hash INTEGER NOT NULL,
        ttl REAL, size INTEGER NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (tbl, pk, sk)) WITHOUT ROWID""",
    "index_entries": """CREATE TABLE index_entries (
        tbl TEXT NOT NULL, idx TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL,
        tpk BLOB NOT NULL, tsk BLOB NOT NULL, hash INTEGER NOT NULL,
        size INTEGER NOT NULL, data BLOB NOT NULL,
        PRIMARY KEY (tbl, idx, pk, sk, tpk, tsk)) WITHOUT ROWID""",
    "changes": """CREATE TABLE changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, keys BLOB NOT NULL,
        event TEXT NOT NULL, old BLOB, new BLOB, created_at REAL NOT NULL,
        system INTEGER NOT NULL)""",
}
_VERSION_1_INDEXES = (
    "CREATE INDEX items_by_hash ON items (tbl, hash, pk, sk)",
    "CREATE INDEX items_by_ttl ON items (tbl, ttl) WHERE ttl IS NOT NULL",
    "CREATE INDEX index_entries_by_hash ON index_entries (tbl, idx, hash, pk, sk, tpk, tsk)",
)

NOTES = TableSpec(
    "notes",
    KeyAttribute("owner"),
    KeyAttribute("n", "N"),
    indexes=(IndexSpec("by_topic", KeyAttribute("topic")),),
)


def _as_version_1(path: Path, *, prune_feed: bool) -> None:
    """Rewrite a current file's changed tables in version 1's shape, rows and all."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        for name, statement in _VERSION_1.items():
            connection.execute(f"ALTER TABLE {name} RENAME TO {name}_v2")
            connection.execute(statement)
            connection.execute(f"INSERT INTO {name} SELECT * FROM {name}_v2")  # noqa: S608 - fixed names
            connection.execute(f"DROP TABLE {name}_v2")
        for statement in _VERSION_1_INDEXES:
            connection.execute(statement)
        connection.execute("DROP TABLE meta")
        if prune_feed:  # as the sweeper does after the retention: only the count is left
            connection.execute("DELETE FROM changes")
        connection.execute("PRAGMA user_version = 0")
        connection.execute("COMMIT")
    finally:
        connection.close()


def _schema(path: Path) -> tuple[int, str]:
    connection = sqlite3.connect(path)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        (items,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'items'"
        ).fetchone()
        return version, items
    finally:
        connection.close()


async def _fill(path: Path) -> int:
    """A table with a GSI and items in three partitions; the feed's latest number."""
    async with open_store(SqliteConfig(path)) as store:
        await store.create_table(NOTES)
        for owner in ("ada", "bob", "cy"):
            for n in range(3):
                await store.put_item(
                    "notes", {"owner": owner, "n": n, "topic": f"t{n}", "text": f"{owner}{n}"}
                )
        await store.delete_item("notes", {"owner": "cy", "n": 2})
        return await store.changes.latest_seq()


@pytest.mark.parametrize("prune_feed", [False, True])
async def test_a_version_1_file_keeps_its_items_indexes_and_change_numbers(
    tmp_path: Path, prune_feed: bool
) -> None:
    path = tmp_path / "store.db"
    latest = await _fill(path)
    async with open_store(SqliteConfig(path)) as store:
        scanned = [item async for item in _scan(store)]
    _as_version_1(path, prune_feed=prune_feed)
    assert _schema(path)[0] == 0

    async with open_store(SqliteConfig(path)) as store:
        version, items_table = _schema(path)
        assert version == SCHEMA_VERSION
        assert "PRIMARY KEY (tbl, hash, pk, sk)" in items_table
        assert await store.get_item("notes", {"owner": "bob", "n": 1}) == {
            "owner": "bob",
            "n": 1,
            "topic": "t1",
            "text": "bob1",
        }
        assert await store.get_item("notes", {"owner": "cy", "n": 2}) is None
        page = await store.query("notes", "#o = :o", names={"#o": "owner"}, values={":o": "ada"})
        assert [item["n"] for item in page.items] == [0, 1, 2]
        by_topic = await store.query("notes", "topic = :t", values={":t": "t1"}, index="by_topic")
        assert sorted(str(item["owner"]) for item in by_topic.items) == ["ada", "bob", "cy"]
        assert [item async for item in _scan(store)] == scanned  # the same hash order
        # Change numbers go on from the highest ever given, also when none is left.
        assert await store.changes.latest_seq() == latest
        records = await store.changes.read(0)
        assert [record.seq for record in records] == (
            [] if prune_feed else list(range(1, latest + 1))
        )
        await store.put_item("notes", {"owner": "dee", "n": 0})
        assert (await store.changes.read(latest))[0].seq == latest + 1
    async with open_store(SqliteConfig(path)) as store:  # a second opening changes nothing
        assert await store.changes.latest_seq() == latest + 1
        assert len([item async for item in _scan(store)]) == len(scanned) + 1


async def test_a_file_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    async with open_store(SqliteConfig(path)):
        pass
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StorageUnavailableError, match="newer version of baas"):
        async with open_store(SqliteConfig(path)):
            pass


async def _scan(store: DocumentStore) -> AsyncIterator[Item]:
    start = None
    while True:
        page = await store.scan("notes", limit=4, exclusive_start_key=start)
        for item in page.items:
            yield item
        start = page.last_evaluated_key
        if start is None:
            return
