"""The SQLite schema, its migration from earlier versions, and connection set-up.

All user tables share one ``items`` table keyed ``(tbl, hash, pk, sk)`` with
order-preserving BLOB keys (see ``storage.keys``): within a partition SQLite's
memcmp order is DynamoDB's key order, and a whole table reads in the partition-hash
order of Scan, without a second index to keep up on every write. GSI entries live in
``index_entries``, keyed the same way. ``changes`` is the change feed; ``meta``
remembers the highest change number pruned (``feed_floor``), so numbers are never
reused once the feed was emptied. ``tokens`` remembers ClientRequestTokens for 10
minutes. The schema's version is SQLite's ``user_version``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from storage.errors import StorageUnavailableError
from storage.sqlite.config import SqliteConfig

__all__ = ["SCHEMA_VERSION", "connect", "create_schema"]

SCHEMA_VERSION = 2

_TABLES = {
    "tables": """
CREATE TABLE {name} (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL
)""",
    "items": """
CREATE TABLE {name} (
    tbl TEXT NOT NULL,
    pk BLOB NOT NULL,
    sk BLOB NOT NULL,
    hash INTEGER NOT NULL,
    ttl REAL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (tbl, hash, pk, sk)
) WITHOUT ROWID""",
    "index_entries": """
CREATE TABLE {name} (
    tbl TEXT NOT NULL,
    idx TEXT NOT NULL,
    pk BLOB NOT NULL,
    sk BLOB NOT NULL,
    tpk BLOB NOT NULL,
    tsk BLOB NOT NULL,
    hash INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (tbl, idx, hash, pk, sk, tpk, tsk)
) WITHOUT ROWID""",
    "changes": """
CREATE TABLE {name} (
    seq INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL,
    keys BLOB NOT NULL,
    event TEXT NOT NULL,
    old BLOB,
    new BLOB,
    created_at REAL NOT NULL,
    system INTEGER NOT NULL
)""",
    "tokens": """
CREATE TABLE {name} (
    token TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL
)""",
    "meta": """
CREATE TABLE {name} (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
)""",
}
_INDEXES = ("CREATE INDEX items_by_ttl ON items (tbl, ttl) WHERE ttl IS NOT NULL",)

# Version 1 (user_version 0) keyed items and GSI entries (tbl, pk, sk), each with a
# second index by hash for Scan, and numbered changes with AUTOINCREMENT. Those tables
# are rebuilt; their columns and column order are the same in version 2.
_REBUILT_FROM_1 = ("items", "index_entries", "changes")


# Python's sqlite3 binds str, int and float directly, but looks every bytes and None
# parameter up as a candidate for adaptation first, and the miss raises (and clears)
# an AttributeError inside the module: about 2,000 instructions per parameter, nine per
# put. An identity adapter turns the miss into a hit; what is bound stays the same.
sqlite3.register_adapter(bytes, bytes)  # bytes(b) is b itself
sqlite3.register_adapter(type(None), lambda _none: None)


def connect(config: SqliteConfig) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are begun explicitly)."""
    _create_private(config.path)
    connection = sqlite3.connect(
        config.path,
        isolation_level=None,
        check_same_thread=False,
        timeout=config.busy_timeout_ms / 1000,
    )
    connection.execute(f"PRAGMA busy_timeout = {int(config.busy_timeout_ms)}")
    connection.execute("PRAGMA journal_mode = WAL")
    # FULL: the WAL is fsynced at every commit, so an acknowledged write survives
    # power loss; NORMAL only survives a process crash. Chosen per store (SqliteConfig).
    synchronous = "FULL" if config.synchronous == "FULL" else "NORMAL"
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    # After a burst the WAL is truncated back to this size at the next checkpoint.
    connection.execute("PRAGMA journal_size_limit = 67108864")
    return connection


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only, if it does not exist yet.

    SQLite gives the ``-wal`` and ``-shm`` files it creates later the mode of the
    database file, so they are private too (threat: another local user reading the
    data, password hashes and sealed secrets included). An existing file keeps its mode.
    """
    if path.exists() or str(path) == ":memory:":
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def create_schema(connection: sqlite3.Connection) -> None:
    """Create the tables of a new file, or bring an older file's up to date.

    Idempotent and safe across processes: it runs in one write transaction.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageUnavailableError(
                "The database file was written by a newer version of baas"
            )
        if version < SCHEMA_VERSION:
            existing = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "items" in existing:
                _migrate_from_1(connection, existing)
            else:
                _create(connection)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _create(connection: sqlite3.Connection) -> None:
    for name, statement in _TABLES.items():
        connection.execute(statement.format(name=name))
    for statement in _INDEXES:
        connection.execute(statement)


def _migrate_from_1(connection: sqlite3.Connection, existing: set[str]) -> None:
    """Rebuild version 1's tables in version 2's shape, keeping every row."""
    highest = 0
    if "sqlite_sequence" in existing:  # AUTOINCREMENT's record of the highest number
        row = connection.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'changes'"
        ).fetchone()
        highest = 0 if row is None else int(row[0])
    for name in _REBUILT_FROM_1:
        connection.execute(_TABLES[name].format(name=f"{name}_next"))
        connection.execute(f"INSERT INTO {name}_next SELECT * FROM {name}")  # noqa: S608 - fixed names
        connection.execute(f"DROP TABLE {name}")  # its indexes go with it
        connection.execute(f"ALTER TABLE {name}_next RENAME TO {name}")
    connection.execute(_TABLES["meta"].format(name="meta"))
    # Every number up to the highest ever given is spent, also those pruned since.
    connection.execute("INSERT INTO meta VALUES ('feed_floor', ?)", (highest,))
    for statement in _INDEXES:
        connection.execute(statement)
