"""Benchmark: the document store against the raw drivers doing the same work.

Run with ``.venv/bin/python bench/storage.py``. Two parts, each beside its baseline
measured in the same run:

- **SQLite**: both sides store the same item in a WAL database with
  ``synchronous=FULL``; the baseline commits once per write and decodes the stored JSON
  on reads, with 32 threads (one connection each) for 32 clients. The store runs 32
  coroutines on one event loop.
- **PostgreSQL** (the server at ``BAAS_BENCH_POSTGRES_URL``, else 127.0.0.1:5432): the
  store on a schema of its own against raw psycopg (async, one connection per client,
  READ COMMITTED like the store's reads, committing once per write; the conditional
  update locks its row with SELECT ... FOR UPDATE). Then the change feed's latency
  (a write in one store → a waiter on another store on the same data wakes, the path of
  a subscription on another API process), and writes from one process against two.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

# This script is named like the package it measures: make `import storage` find the
# package, not this file (Python puts the script's folder first on sys.path).
_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from storage import (  # noqa: E402
    DocumentStore,
    KeyAttribute,
    PostgresConfig,
    SqliteConfig,
    TableSpec,
    open_store,
)

SECONDS = 1.0
ROUNDS = 2
CLIENTS = (1, 32)
ITEM: dict[str, Any] = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "age": 36,
    "score": Decimal("12.5"),
    "tags": ["math", "engines", "poetry"],
    "address": {"city": "London", "street": "St James's Square", "zip": "SW1"},
    "active": True,
    "n": 0,
}


def json_item(pk: str, sk: str) -> dict[str, Any]:
    return {**ITEM, "pk": pk, "sk": sk, "score": 12.5}


# --- the store --------------------------------------------------------------------


async def store_rate(clients: int, operation: Callable[[int, int], Awaitable[object]]) -> float:
    done = 0
    deadline = time.perf_counter() + SECONDS

    async def client(number: int) -> None:
        nonlocal done
        counter = 0
        while time.perf_counter() < deadline:
            await operation(number, counter)
            counter += 1
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(clients)))
    return done / (time.perf_counter() - start)


def operations_for(store: DocumentStore) -> dict[str, Callable[[int, int], Awaitable[object]]]:
    async def put(client: int, counter: int) -> None:
        await store.put_item("bench", {**ITEM, "pk": f"put{client}", "sk": str(counter)})

    async def get(client: int, counter: int) -> None:
        await store.get_item("bench", {"pk": f"hot{client}", "sk": "x"})

    async def update(client: int, counter: int) -> None:
        await store.update_item(
            "bench",
            {"pk": f"hot{client}", "sk": "x"},
            "SET n = n + :one",
            condition="attribute_exists(pk)",
            values={":one": 1},
        )

    async def query(client: int, counter: int) -> None:
        page = await store.query("bench", "pk = :p", values={":p": "page"}, limit=100)
        assert page.count == 100  # noqa: S101 - the benchmark measures full pages

    return {"put": put, "get": get, "conditional update": update, "query 100 items": query}


# --- the raw sqlite3 baseline -------------------------------------------------------


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    return connection


def raw_put(connection: sqlite3.Connection, client: int, counter: int) -> None:
    item = json_item(f"put{client}", str(counter))
    connection.execute(
        "INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (item["pk"], item["sk"], json.dumps(item))
    )


def raw_get(connection: sqlite3.Connection, client: int, counter: int) -> None:
    row = connection.execute(
        "SELECT data FROM kv WHERE pk = ? AND sk = ?", (f"hot{client}", "x")
    ).fetchone()
    json.loads(row[0])


def raw_update(connection: sqlite3.Connection, client: int, counter: int) -> None:
    connection.execute("BEGIN IMMEDIATE")
    row = connection.execute(
        "SELECT data FROM kv WHERE pk = ? AND sk = ?", (f"hot{client}", "x")
    ).fetchone()
    if row is None:
        connection.execute("ROLLBACK")
        return
    item = json.loads(row[0])
    item["n"] += 1
    connection.execute(
        "UPDATE kv SET data = ? WHERE pk = ? AND sk = ?", (json.dumps(item), f"hot{client}", "x")
    )
    connection.execute("COMMIT")


def raw_query(connection: sqlite3.Connection, client: int, counter: int) -> None:
    rows = connection.execute(
        "SELECT data FROM kv WHERE pk = ? ORDER BY sk LIMIT 100", ("page",)
    ).fetchall()
    assert len([json.loads(data) for (data,) in rows]) == 100  # noqa: S101


def raw_rate(
    path: Path, clients: int, operation: Callable[[sqlite3.Connection, int, int], None]
) -> float:
    counts = [0] * clients
    deadline = time.perf_counter() + SECONDS

    def client(number: int) -> None:
        connection = connect(path)
        counter = 0
        while time.perf_counter() < deadline:
            operation(connection, number, counter)
            counter += 1
        counts[number] = counter
        connection.close()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


RAW_OPERATIONS: dict[str, Callable[[sqlite3.Connection, int, int], None]] = {
    "put": raw_put,
    "get": raw_get,
    "conditional update": raw_update,
    "query 100 items": raw_query,
}


def prepare_raw(directory: Path) -> Path:
    path = directory / "raw.db"
    connection = connect(path)
    connection.execute(
        "CREATE TABLE kv (pk TEXT, sk TEXT, data TEXT, PRIMARY KEY (pk, sk)) WITHOUT ROWID"
    )
    for number in range(100):
        item = json_item("page", f"{number:04}")
        connection.execute(
            "INSERT INTO kv VALUES (?, ?, ?)", ("page", item["sk"], json.dumps(item))
        )
    for number in range(32):
        connection.execute(
            "INSERT INTO kv VALUES (?, ?, ?)",
            (f"hot{number}", "x", json.dumps(json_item(f"hot{number}", "x"))),
        )
    connection.close()
    return path


async def run(directory: Path) -> list[tuple[str, int, float, float]]:
    """(operation, clients, store ops/s, sqlite3 ops/s) for every case."""
    raw_path = prepare_raw(directory)
    rows = []
    async with open_store(SqliteConfig(directory / "store.db")) as store:
        await store.create_table(TableSpec("bench", KeyAttribute("pk"), KeyAttribute("sk")))
        for number in range(100):
            await store.put_item("bench", {**ITEM, "pk": "page", "sk": f"{number:04}"})
        for number in range(32):
            await store.put_item("bench", {**ITEM, "pk": f"hot{number}", "sk": "x"})
        for name, operation in operations_for(store).items():
            for clients in CLIENTS:
                ours = theirs = 0.0
                # Interleaved, best of ROUNDS: the machine is shared and fsync times vary.
                for _ in range(ROUNDS):
                    ours = max(ours, await store_rate(clients, operation))
                    theirs = max(
                        theirs,
                        await asyncio.to_thread(raw_rate, raw_path, clients, RAW_OPERATIONS[name]),
                    )
                rows.append((name, clients, ours, theirs))
    return rows


# --- PostgreSQL: the store against raw psycopg ------------------------------------------

PG_URL = os.environ.get("BAAS_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres")
FEED_SAMPLES = 200


async def raw_pg_rate(
    url: str,
    clients: int,
    operation: Callable[[psycopg.AsyncConnection[Any], int, int], Awaitable[None]],
) -> float:
    connections = [
        await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(clients)
    ]
    done = 0
    deadline = time.perf_counter() + SECONDS

    async def client(number: int) -> None:
        nonlocal done
        counter = 0
        while time.perf_counter() < deadline:
            await operation(connections[number], number, counter)
            counter += 1
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(clients)))
    rate = done / (time.perf_counter() - start)
    for connection in connections:
        await connection.close()
    return rate


async def pg_put(connection: psycopg.AsyncConnection[Any], client: int, counter: int) -> None:
    item = json_item(f"put{client}", str(counter))
    await connection.execute(
        "INSERT INTO kv VALUES (%s, %s, %s) ON CONFLICT (pk, sk) DO UPDATE SET data = excluded.data",
        (item["pk"], item["sk"], json.dumps(item)),
    )


async def pg_get(connection: psycopg.AsyncConnection[Any], client: int, counter: int) -> None:
    cursor = await connection.execute(
        "SELECT data FROM kv WHERE pk = %s AND sk = %s", (f"hot{client}", "x")
    )
    row = await cursor.fetchone()
    assert row is not None  # noqa: S101
    json.loads(row[0])


async def pg_update(connection: psycopg.AsyncConnection[Any], client: int, counter: int) -> None:
    async with connection.transaction():
        cursor = await connection.execute(
            "SELECT data FROM kv WHERE pk = %s AND sk = %s FOR UPDATE", (f"hot{client}", "x")
        )
        row = await cursor.fetchone()
        if row is None:
            return
        item = json.loads(row[0])
        item["n"] += 1
        await connection.execute(
            "UPDATE kv SET data = %s WHERE pk = %s AND sk = %s",
            (json.dumps(item), f"hot{client}", "x"),
        )


async def pg_query(connection: psycopg.AsyncConnection[Any], client: int, counter: int) -> None:
    cursor = await connection.execute(
        "SELECT data FROM kv WHERE pk = %s ORDER BY sk LIMIT 100", ("page",)
    )
    assert len([json.loads(data) for (data,) in await cursor.fetchall()]) == 100  # noqa: S101


PG_OPERATIONS = {
    "put": pg_put,
    "get": pg_get,
    "conditional update": pg_update,
    "query 100 items": pg_query,
}


async def prepare_pg(url: str, schema: str) -> str:
    """A schema for the raw baseline's table; returns the URL that uses it."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        await admin.execute(
            sql.SQL(
                "CREATE TABLE {}.kv (pk text, sk text, data text, PRIMARY KEY (pk, sk))"
            ).format(sql.Identifier(schema))
        )
        for number in range(100):
            item = json_item("page", f"{number:04}")
            await admin.execute(
                sql.SQL("INSERT INTO {}.kv VALUES (%s, %s, %s)").format(sql.Identifier(schema)),
                ("page", item["sk"], json.dumps(item)),
            )
        for number in range(32):
            await admin.execute(
                sql.SQL("INSERT INTO {}.kv VALUES (%s, %s, %s)").format(sql.Identifier(schema)),
                (f"hot{number}", "x", json.dumps(json_item(f"hot{number}", "x"))),
            )
    return psycopg.conninfo.make_conninfo(url, options=f"-c search_path={schema}")


async def fill(store: DocumentStore) -> None:
    await store.create_table(TableSpec("bench", KeyAttribute("pk"), KeyAttribute("sk")))
    for number in range(100):
        await store.put_item("bench", {**ITEM, "pk": "page", "sk": f"{number:04}"})
    for number in range(32):
        await store.put_item("bench", {**ITEM, "pk": f"hot{number}", "sk": "x"})


async def feed_latency(config: PostgresConfig) -> list[float]:
    """Seconds from a write acknowledged by one store to a waiter on another one waking."""
    async with open_store(config) as writer, open_store(config) as reader:
        samples = []
        for number in range(FEED_SAMPLES):
            after = await reader.changes.latest_seq()
            waiter = asyncio.create_task(reader.changes.wait(after, 5))
            await asyncio.sleep(0.002)  # the waiter is waiting
            started = time.perf_counter()
            await writer.put_item("bench", {"pk": "feed", "sk": str(number)})
            await waiter
            samples.append(time.perf_counter() - started)
        return sorted(samples)


def processes_put_rate(config: PostgresConfig, processes: int) -> float:
    """Puts/s of ``processes`` processes with 16 coroutines each, on one store."""
    code = (
        "import asyncio, sys, time\n"
        "from storage import PostgresConfig, open_store\n"
        "async def main():\n"
        f"    async with open_store(PostgresConfig.from_url({config.url + '?schema=' + config.schema!r})) as s:\n"
        "        done, end = 0, time.perf_counter() + 2.0\n"
        "        async def c(i):\n"
        "            nonlocal done\n"
        "            n = 0\n"
        "            while time.perf_counter() < end:\n"
        "                await s.put_item('bench', {'pk': f'p{sys.argv[1]}-{i}', 'sk': str(n)}); n += 1; done += 1\n"
        "        await asyncio.gather(*(c(i) for i in range(16)))\n"
        "        print(done / 2.0)\n"
        "asyncio.run(main())\n"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(n)], stdout=subprocess.PIPE, text=True, cwd=_ROOT
        )
        for n in range(processes)
    ]
    return sum(float(child.communicate()[0]) for child in children)


async def postgres_main() -> None:
    schema = f"bench_{os.getpid()}"
    try:
        raw_url = await prepare_pg(PG_URL, f"{schema}_raw")
    except psycopg.OperationalError:
        print(f"== PostgreSQL: skipped (no server at {PG_URL}; set BAAS_BENCH_POSTGRES_URL)")
        return
    config = PostgresConfig.from_url(f"{PG_URL}?schema={schema}")
    rows = []
    try:
        async with open_store(config) as store:
            await fill(store)
            for name, operation in operations_for(store).items():
                for clients in CLIENTS:
                    ours = theirs = 0.0
                    for _ in range(ROUNDS):
                        ours = max(ours, await store_rate(clients, operation))
                        theirs = max(
                            theirs, await raw_pg_rate(raw_url, clients, PG_OPERATIONS[name])
                        )
                    rows.append((name, clients, ours, theirs))
        latencies = await feed_latency(config)
        one = two = 0.0
        for _ in range(ROUNDS):
            one = max(one, await asyncio.to_thread(processes_put_rate, config, 1))
            two = max(two, await asyncio.to_thread(processes_put_rate, config, 2))
    finally:
        async with await psycopg.AsyncConnection.connect(PG_URL, autocommit=True) as admin:
            for name in (schema, f"{schema}_raw"):
                await admin.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name))
                )
    print("== PostgreSQL")
    print_rows(rows, "psycopg")
    print(
        f"(best of {ROUNDS} interleaved runs of {SECONDS} s; psycopg: one connection per client, "
        "autocommit (one commit per write), the conditional update under SELECT ... FOR UPDATE.)"
    )
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(
        f"change feed, write acknowledged -> waiter on another store wakes: "
        f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms ({FEED_SAMPLES} writes, LISTEN/NOTIFY)"
    )
    print(
        f"puts from 1 process: {one:,.0f}/s; from 2 processes on one store: {two:,.0f}/s "
        f"({two / one:.2f}x; 16 coroutines each, writes serialised by the store's lock)"
    )


def print_rows(rows: list[tuple[str, int, float, float]], baseline: str) -> None:
    print(
        f"{'operation':<20} {'clients':>7} {'storage ops/s':>14} {baseline + ' ops/s':>14} {'ratio':>7}"
    )
    for name, clients, ours, theirs in rows:
        print(f"{name:<20} {clients:>7} {ours:>14,.0f} {theirs:>14,.0f} {ours / theirs:>6.2f}x")


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        rows = asyncio.run(run(Path(directory)))
    print("== SQLite")
    print_rows(rows, "sqlite3")
    print(
        f"(best of {ROUNDS} interleaved runs of {SECONDS} s; WAL + synchronous=FULL on both "
        "sides; sqlite3 commits once per write, one thread and connection per client.)"
    )
    print()
    asyncio.run(postgres_main())


if __name__ == "__main__":
    main()
