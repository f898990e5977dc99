"""The SQLite schema and connection set-up.

All user tables share one ``items`` table keyed ``(tbl, pk, sk)`` with
order-preserving BLOB keys (see ``storage.keys``), so SQLite's memcmp order is
DynamoDB's key order. GSI entries live in ``index_entries``; ``changes`` is the
change feed (AUTOINCREMENT so a sequence number is never reused after pruning);
``tokens`` remembers ClientRequestTokens for 10 minutes.
"""

from __future__ import annotations

import sqlite3

from storage.sqlite.config import SqliteConfig

__all__ = ["connect", "create_schema"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tables (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    tbl TEXT NOT NULL,
    pk BLOB NOT NULL,
    sk BLOB NOT NULL,
    hash INTEGER NOT NULL,
    ttl REAL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (tbl, pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_by_hash ON items (tbl, hash, pk, sk);
CREATE INDEX IF NOT EXISTS items_by_ttl ON items (tbl, ttl) WHERE ttl IS NOT NULL;
CREATE TABLE IF NOT EXISTS index_entries (
    tbl TEXT NOT NULL,
    idx TEXT NOT NULL,
    pk BLOB NOT NULL,
    sk BLOB NOT NULL,
    tpk BLOB NOT NULL,
    tsk BLOB NOT NULL,
    hash INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (tbl, idx, pk, sk, tpk, tsk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS index_entries_by_hash
    ON index_entries (tbl, idx, hash, pk, sk, tpk, tsk);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl TEXT NOT NULL,
    keys BLOB NOT NULL,
    event TEXT NOT NULL,
    old BLOB,
    new BLOB,
    created_at REAL NOT NULL,
    system INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""


def connect(config: SqliteConfig) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are begun explicitly)."""
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


def create_schema(connection: sqlite3.Connection) -> None:
    """Create the tables if the file is new (idempotent, safe across processes)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
