"""Child-process programs for the multi-process and crash tests.

Run as ``python -m tests.integration.storage.workers COMMAND BACKEND LOCATION ...`` from
the project root. Each opens its own store on the shared data (an SQLite file, or a
PostgreSQL schema), as the conformance suite's ``open_backend_store`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time

from storage import DocumentStore, Item, TransactPut, TransactUpdate
from storage.backend import WriteTarget
from storage.errors import ConditionalCheckFailedError, TransactionCanceledError
from tests.integration.storage.conftest import open_backend_store


async def increment_once(store: DocumentStore) -> None:
    """Read-modify-write with a condition, retried until it wins (optimistic locking)."""
    while True:
        item = await store.get_item("counters", {"id": "c"}, consistent=True)
        assert item is not None
        try:
            await store.update_item(
                "counters",
                {"id": "c"},
                "SET n = :new",
                condition="n = :old",
                values={":new": item["n"] + 1, ":old": item["n"]},  # type: ignore[operator]
            )
            return
        except ConditionalCheckFailedError:
            await asyncio.sleep(random.random() / 1000)  # noqa: S311 - jitter, not crypto


async def transfer_once(store: DocumentStore, rng: random.Random) -> None:
    source, target = rng.sample(["A", "B"], 2)
    amount = rng.randint(1, 60)
    # Not enough money: the transfer is refused as a whole.
    with contextlib.suppress(TransactionCanceledError):
        await store.transact_write(
            [
                TransactUpdate(
                    "accounts",
                    {"id": source},
                    "SET balance = balance - :x",
                    condition="balance >= :x",
                    values={":x": amount},
                ),
                TransactUpdate(
                    "accounts", {"id": target}, "SET balance = balance + :x", values={":x": amount}
                ),
            ]
        )


async def write_groups(store: DocumentStore, prefix: str) -> None:
    """Write 3-item transactions forever, printing each group once acknowledged."""

    async def writer(lane: int) -> None:
        number = 0
        while True:
            group = f"{prefix}-{lane}-{number}"
            await store.transact_write(
                [
                    TransactPut("groups", {"id": f"{group}/{part}", "group": group})
                    for part in range(3)
                ]
            )
            sys.stdout.write(group + "\n")
            sys.stdout.flush()
            number += 1

    await asyncio.gather(*(writer(lane) for lane in range(8)))


async def write_slowly(store: DocumentStore, seconds: float) -> None:
    """One write whose transaction stays open ``seconds`` (its decide step sleeps)."""

    def decide(_current: list[Item | None]) -> list[Item]:
        sys.stdout.write("holding\n")
        sys.stdout.flush()
        time.sleep(seconds)  # inside the write transaction, holding the write lock
        return [{"id": "slow"}]

    # The backend's one write primitive, as the store calls it: a test may hold it open.
    await store._backend.write([WriteTarget("groups", {"id": "slow"})], decide)


async def main(command: str, backend: str, location: str, *args: str) -> None:
    async with await open_backend_store(backend, location) as store:
        if command == "increment":
            await asyncio.gather(*(increment_once(store) for _ in range(int(args[0]))))
        elif command == "transfer":
            rng = random.Random(int(args[1]))  # noqa: S311 - test data
            await asyncio.gather(*(transfer_once(store, rng) for _ in range(int(args[0]))))
        elif command == "groups":
            await write_groups(store, args[0])
        elif command == "slow":
            await write_slowly(store, float(args[0]))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
