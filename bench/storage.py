"""Benchmark: the document store against raw sqlite3 doing the same work.

Run with ``.venv/bin/python bench/storage.py``. Both sides store the same item in a
WAL database with ``synchronous=FULL``; the baseline commits once per write and
decodes the stored JSON on reads, with 32 threads (one connection each) for 32
clients. The store runs 32 coroutines on one event loop.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
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

from storage import DocumentStore, KeyAttribute, SqliteConfig, TableSpec, open_store  # noqa: E402

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


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        rows = asyncio.run(run(Path(directory)))
    print(
        f"{'operation':<20} {'clients':>7} {'storage ops/s':>14} {'sqlite3 ops/s':>14} {'ratio':>7}"
    )
    for name, clients, ours, theirs in rows:
        print(f"{name:<20} {clients:>7} {ours:>14,.0f} {theirs:>14,.0f} {ours / theirs:>6.2f}x")
    print(
        f"(best of {ROUNDS} interleaved runs of {SECONDS} s; WAL + synchronous=FULL on both "
        "sides; sqlite3 commits once per write, one thread and connection per client.)"
    )


if __name__ == "__main__":
    main()
