"""The PostgreSQL schema, its versioned migrations, and connection set-up.

The layout is the SQLite backend's (see ``storage.sqlite.schema``): every user table
lives in one ``items`` table keyed ``(tbl, hash, pk, sk)`` with order-preserving
``bytea`` keys (PostgreSQL compares ``bytea`` byte by byte, like SQLite's BLOBs, so
the key order is DynamoDB's), GSI entries in ``index_entries``, the change feed in
``changes``, ClientRequestTokens in ``tokens``, and ``meta`` for the schema version and
the change feed's floor. All of it sits in one PostgreSQL schema of its own (``baas``
by default), so a database can hold other data, or several baas stores.

Migrations run at start, in one transaction under an advisory lock, so processes
starting together never race; a database written by a newer baas is refused.
Each entry of ``MIGRATIONS`` brings the schema from its index to the next version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from storage.errors import StorageUnavailableError
from storage.postgres.config import PostgresConfig

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Connection", "connect", "lock_key", "migrate"]

_VERSION_1: Sequence[str] = (
    """CREATE TABLE tables (
        name text PRIMARY KEY,
        spec text NOT NULL,
        created_at double precision NOT NULL
    )""",
    """CREATE TABLE items (
        tbl text NOT NULL,
        hash bigint NOT NULL,
        pk bytea NOT NULL,
        sk bytea NOT NULL,
        ttl double precision,
        size integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (tbl, hash, pk, sk)
    )""",
    "CREATE INDEX items_by_ttl ON items (tbl, ttl) WHERE ttl IS NOT NULL",
    """CREATE TABLE index_entries (
        tbl text NOT NULL,
        idx text NOT NULL,
        hash bigint NOT NULL,
        pk bytea NOT NULL,
        sk bytea NOT NULL,
        tpk bytea NOT NULL,
        tsk bytea NOT NULL,
        size integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (tbl, idx, hash, pk, sk, tpk, tsk)
    )""",
    """CREATE TABLE changes (
        seq bigint PRIMARY KEY,
        tbl text NOT NULL,
        keys bytea NOT NULL,
        event text NOT NULL,
        old bytea,
        new bytea,
        created_at double precision NOT NULL,
        system boolean NOT NULL
    )""",
    """CREATE TABLE tokens (
        token text PRIMARY KEY,
        fingerprint text NOT NULL,
        created_at double precision NOT NULL
    )""",
    """CREATE TABLE meta (
        name text PRIMARY KEY,
        value bigint NOT NULL
    )""",
    "INSERT INTO meta VALUES ('feed_floor', 0)",
)

MIGRATIONS: Sequence[Sequence[str]] = (_VERSION_1,)
"""``MIGRATIONS[n]`` takes a schema at version ``n`` to version ``n + 1``."""
SCHEMA_VERSION = len(MIGRATIONS)


def lock_key(config: PostgresConfig, purpose: str) -> int:
    """A 64-bit advisory-lock key of this store's schema (one per ``purpose``)."""
    digest = hashlib.blake2b(f"baas:{config.schema}:{purpose}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


Connection = psycopg.AsyncConnection[tuple[Any, ...]]


async def connect(config: PostgresConfig, *, autocommit: bool) -> Connection:
    """A connection whose ``search_path`` is the store's schema."""
    return await psycopg.AsyncConnection.connect(
        config.url,
        autocommit=autocommit,
        connect_timeout=max(1, round(config.connect_timeout)),
        options=f"-c search_path={config.schema}",
        application_name="baas",
    )


async def migrate(connection: Connection, config: PostgresConfig) -> None:
    """Create the store's tables, or bring them to :data:`SCHEMA_VERSION`.

    ``connection`` is in autocommit mode with the store's ``search_path``.
    """
    schema = config.schema
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(config, "migrate"),))
        await connection.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
        )
        version = await _version(connection)
        if version > SCHEMA_VERSION:
            raise StorageUnavailableError(
                f"The database schema {schema!r} was written by a newer version of baas"
            )
        for step in MIGRATIONS[version:]:
            for statement in step:
                await connection.execute(statement)
        if version < SCHEMA_VERSION:
            await connection.execute(
                "INSERT INTO meta VALUES ('schema_version', %s)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (SCHEMA_VERSION,),
            )


async def _version(connection: Connection) -> int:
    cursor = await connection.execute("SELECT to_regclass('meta') IS NOT NULL")
    exists = await cursor.fetchone()
    if not exists or not exists[0]:
        return 0
    cursor = await connection.execute("SELECT value FROM meta WHERE name = 'schema_version'")
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])
