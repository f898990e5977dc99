"""Atomicity across processes sharing one store, and durability under kill -9.

On every backend: SQLite with FULL (commits on the writer thread) and NORMAL durability
(inline commits when the writer is idle, handed to the thread when another process
holds the lock), and PostgreSQL (processes serialised by the store's advisory lock).
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import DocumentStore, KeyAttribute, TableSpec

from .conftest import open_backend_store

ROOT = Path(__file__).resolve().parents[3]


def spawn(command: str, backend: str, location: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.storage.workers",
            command,
            backend,
            location,
            *args,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def finish(process: subprocess.Popen[str]) -> None:
    _, stderr = await asyncio.to_thread(process.communicate, timeout=60)
    assert process.returncode == 0, stderr


@pytest.fixture
async def shared(backend: str, location: str) -> tuple[str, str]:
    async with await open_backend_store(backend, location) as store:
        await store.create_table(TableSpec("counters", KeyAttribute("id")))
        await store.put_item("counters", {"id": "c", "n": 0})
        await store.create_table(TableSpec("accounts", KeyAttribute("id")))
        await store.put_item("accounts", {"id": "A", "balance": 100})
        await store.put_item("accounts", {"id": "B", "balance": 100})
        await store.create_table(TableSpec("groups", KeyAttribute("id")))
    return backend, location


async def test_conditional_increments_from_two_processes_are_exact(
    shared: tuple[str, str],
) -> None:
    processes = [spawn("increment", *shared, "25") for _ in range(2)]
    for process in processes:
        await finish(process)
    async with await open_backend_store(*shared) as store:
        assert await store.get_item("counters", {"id": "c"}) == {"id": "c", "n": 50}
        records = await store.changes.read(0, 1000)
        counts = [r.new_image["n"] for r in records if r.table == "counters" and r.new_image]
        assert counts == list(range(51))  # every increment seen once, in order


async def test_concurrent_transfers_keep_the_invariant(shared: tuple[str, str]) -> None:
    processes = [spawn("transfer", *shared, "15", str(seed)) for seed in (1, 2)]
    for process in processes:
        await finish(process)
    async with await open_backend_store(*shared) as store:
        balances = {item["id"]: item["balance"] for item in (await store.scan("accounts")).items}
        assert sum(balances.values()) == 200  # type: ignore[arg-type]
        seen: dict[str, object] = {"A": 100, "B": 100}
        for record in await store.changes.read(0, 1000):
            if record.table == "accounts" and record.new_image:
                seen[str(record.keys["id"])] = record.new_image["balance"]
                assert all(value >= 0 for value in seen.values())  # type: ignore[operator]
        assert seen == balances


async def test_a_reader_never_skips_a_change_that_commits_late(shared: tuple[str, str]) -> None:
    # Another process holds a write transaction open for a moment while this one writes;
    # a reader following the feed meanwhile sees every record, each number one past the
    # last: no change ever commits later with a lower number than one already read.
    async with await open_backend_store(*shared) as store:
        start = await store.changes.latest_seq()
        seen = []

        async def follow() -> None:
            async for record in store.changes.follow(start):
                seen.append(record)
                if len(seen) == 31:
                    return

        reader = asyncio.create_task(follow())
        slow = spawn("slow", *shared, "0.5")
        assert slow.stdout is not None
        assert (await asyncio.to_thread(slow.stdout.readline)).strip() == "holding"
        for number in range(30):
            await store.put_item("groups", {"id": f"fast-{number}"})
        await finish(slow)
        await asyncio.wait_for(reader, 30)
    assert [record.seq for record in seen] == list(range(start + 1, start + 32))
    assert {record.keys["id"] for record in seen} == {"slow", *(f"fast-{n}" for n in range(30))}


async def read_groups(store: DocumentStore) -> dict[str, int]:
    counts: dict[str, int] = {}
    start = None
    while True:
        page = await store.scan("groups", exclusive_start_key=start)
        for item in page.items:
            counts[str(item["group"])] = counts.get(str(item["group"]), 0) + 1
        start = page.last_evaluated_key
        if start is None:
            return counts


def read_for(process: subprocess.Popen[str], seconds: float) -> list[str]:
    """Lines printed by ``process`` until ``seconds`` after its first line."""
    assert process.stdout is not None
    lines = [process.stdout.readline().strip()]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
    return [line for line in lines if line]


@pytest.mark.slow
async def test_acknowledged_writes_survive_kill_9_and_no_transaction_is_half_applied(
    shared: tuple[str, str],
) -> None:
    rng = random.Random(7)  # noqa: S311 - test timing
    acknowledged: list[str] = []
    for round_number in range(3):
        process = spawn("groups", *shared, f"r{round_number}")
        # Kill at a random moment while the child is writing (after its first ack).
        lines = await asyncio.to_thread(read_for, process, 0.05 + rng.random() * 0.4)
        process.send_signal(signal.SIGKILL)
        # Whatever the child printed before dying was acknowledged.
        remaining, _ = await asyncio.to_thread(process.communicate)
        acknowledged += lines + [line for line in remaining.splitlines() if line]
    assert len(acknowledged) > 10, "the child did not get to write"
    async with await open_backend_store(*shared) as store:
        counts = await read_groups(store)
    assert all(count == 3 for count in counts.values()), "a transaction was half applied"
    missing = [group for group in acknowledged if counts.get(group) != 3]
    assert missing == []
