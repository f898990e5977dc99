"""The change feed: one record per committed change, in order, in the write's transaction."""

from __future__ import annotations

import asyncio
import contextlib

from storage import DocumentStore, KeyAttribute, TableSpec, TransactPut
from storage.errors import ConditionalCheckFailedError, TransactionCanceledError

from .conftest import open_backend_store


async def test_insert_modify_remove_records(store: DocumentStore, simple: str) -> None:
    await store.put_item(simple, {"id": "a", "v": 1})
    await store.update_item(simple, {"id": "a"}, "SET v = :v", values={":v": 2})
    await store.delete_item(simple, {"id": "a"})
    records = await store.changes.read(0)
    assert [(r.event, r.old_image, r.new_image) for r in records] == [
        ("INSERT", None, {"id": "a", "v": 1}),
        ("MODIFY", {"id": "a", "v": 1}, {"id": "a", "v": 2}),
        ("REMOVE", {"id": "a", "v": 2}, None),
    ]
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    assert all(r.table == simple and r.keys == {"id": "a"} and not r.system for r in records)
    assert records[0].created_at <= records[-1].created_at
    assert await store.changes.latest_seq() == records[-1].seq
    assert await store.changes.read(records[0].seq, limit=1) == [records[1]]


async def test_a_reader_can_ask_for_some_tables_only(store: DocumentStore, simple: str) -> None:
    await store.create_table(TableSpec("other", KeyAttribute("id", "S")))
    start = await store.changes.latest_seq()
    for n in range(3):
        await store.put_item(simple, {"id": f"s{n}"})
        await store.put_item("other", {"id": f"o{n}"})
    only_other = await store.changes.read(start, tables={"other"})
    assert [r.new_image for r in only_other] == [{"id": f"o{n}"} for n in range(3)]
    assert await store.changes.read(start, limit=2, tables=["other", simple]) == (
        await store.changes.read(start, limit=2)
    )
    assert await store.changes.read(start, tables=["no such table"]) == []


async def test_a_waiter_cancelled_as_a_change_commits_ends(
    store: DocumentStore, simple: str
) -> None:
    """Cancelling a feed waiter must end it even when a commit wakes it at that moment
    (asyncio.wait_for on Python 3.11 would swallow the cancellation: a follower that
    never stops)."""
    for n in range(5):
        waiter = asyncio.create_task(store.changes.wait(await store.changes.latest_seq(), 5))
        await asyncio.sleep(0.01)
        await store.put_item(simple, {"id": f"w{n}"})
        waiter.cancel()
        done, _ = await asyncio.wait({waiter}, timeout=2)
        assert done == {waiter}
        # Cancelled, or (PostgreSQL) it saw the change first: the commit's NOTIFY can
        # reach the listening connection before the writer's own commit is acknowledged.
        assert waiter.cancelled() or waiter.result() is True


async def test_writes_that_change_nothing_or_fail_append_nothing(
    store: DocumentStore, simple: str
) -> None:
    await store.put_item(simple, {"id": "a", "v": 1})
    seq = await store.changes.latest_seq()
    await store.put_item(simple, {"id": "a", "v": 1})  # identical
    await store.delete_item(simple, {"id": "missing"})
    with contextlib.suppress(ConditionalCheckFailedError):
        await store.put_item(simple, {"id": "a"}, condition="attribute_not_exists(id)")
    with contextlib.suppress(TransactionCanceledError):
        await store.transact_write(
            [
                TransactPut(simple, {"id": "b"}),
                TransactPut(simple, {"id": "a"}, condition="v = :z", values={":z": 0}),
            ]
        )
    assert await store.changes.read(seq) == []


async def test_transaction_records_are_consecutive(store: DocumentStore, simple: str) -> None:
    await store.transact_write([TransactPut(simple, {"id": f"i{n}"}) for n in range(5)])
    records = await store.changes.read(0)
    assert [r.keys["id"] for r in records] == [f"i{n}" for n in range(5)]
    assert [r.seq for r in records] == list(range(records[0].seq, records[0].seq + 5))


async def test_wait_wakes_up_on_a_write_in_this_process(store: DocumentStore, simple: str) -> None:
    assert not await store.changes.wait(0, timeout=0.05)
    waiter = asyncio.create_task(store.changes.wait(0, timeout=5))
    await asyncio.sleep(0.01)
    await store.put_item(simple, {"id": "a"})
    assert await asyncio.wait_for(waiter, 1)


async def test_follow_sees_writes_of_another_store_on_the_same_data(
    backend: str, location: str, store: DocumentStore, simple: str
) -> None:
    async with await open_backend_store(backend, location) as other:
        received = []

        async def consume() -> None:
            async for record in store.changes.follow(0):
                received.append(record.keys["id"])
                if len(received) == 20:
                    return

        consumer = asyncio.create_task(consume())
        for number in range(20):
            await other.put_item(simple, {"id": f"i{number}"})
        await asyncio.wait_for(consumer, 5)
        assert received == [f"i{number}" for number in range(20)]


async def test_old_records_are_pruned_after_the_retention(backend: str, location: str) -> None:
    async with await open_backend_store(
        backend, location, feed_retention_seconds=0.1, ttl_sweep_interval_seconds=0.1
    ) as store:
        await store.create_table(TableSpec("tbl", KeyAttribute("id")))
        await store.put_item("tbl", {"id": "a"})
        seq = await store.changes.latest_seq()
        await asyncio.sleep(0.5)
        assert await store.changes.read(0) == []
        assert await store.changes.latest_seq() == seq  # numbers are never reused
        await store.put_item("tbl", {"id": "b"})
        assert [r.seq for r in await store.changes.read(0)] == [seq + 1]
