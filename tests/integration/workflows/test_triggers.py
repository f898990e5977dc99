"""Data-change triggers against a real SQLite store: exactly one start per change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from baas.temporal_dev import EmbeddedTemporal
from storage import DocumentStore, KeyAttribute, SqliteConfig, TableSpec, open_store
from tests.integration.workflows import sample_workflows as w
from tests.support import TEST_CALLER_SIGNER, free_port
from workflows import configure_client, result
from workflows.availability import Backoff
from workflows.triggers import ChangeEvent, StoreCheckpoints, TriggerBinding, TriggerRunner


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DocumentStore]:
    async with await open_store(SqliteConfig(tmp_path / "store.db")) as opened:
        await opened.create_table(TableSpec("todos", KeyAttribute("id", "S")))
        await opened.create_table(TableSpec("other", KeyAttribute("id", "S")))
        yield opened


def _binding() -> TriggerBinding:
    return TriggerBinding(
        "on-new-todo",
        table="todos",
        target=w.SequenceWorkflow,
        events=("INSERT",),
        where=lambda change: (change.new_image or {}).get("title") != "skip me",
        to_input=lambda change: w.Steps([f"todo-{change.keys['id']}"]),
    )


def _runner(client: Client, store: DocumentStore, task_queue: str) -> TriggerRunner:
    return TriggerRunner(
        client, store, [_binding()], StoreCheckpoints(store), app_name="t", task_queue=task_queue
    )


async def test_each_matching_change_starts_its_workflow_exactly_once(
    temporal_client: Client,
    task_queue: str,
    worker: Worker,
    store: DocumentStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await store.put_item("todos", {"id": "1", "title": "write"})
    await store.put_item("todos", {"id": "1", "title": "rewrite"})  # MODIFY: not bound
    await store.put_item("todos", {"id": "2", "title": "skip me"})  # filtered out
    await store.put_item("other", {"id": "3"})  # another table
    await store.put_item("todos", {"id": "4", "title": "test"})

    runner = _runner(temporal_client, store, task_queue)
    assert await runner.run_once() == 5
    assert await runner.run_once() == 0, "the checkpoint moved past every record"

    # A restart that lost its checkpoint (a crash before saving it) re-reads the feed
    # and must not start anything twice.
    await StoreCheckpoints(store).save("triggers.t", 0)
    restarted = _runner(temporal_client, store, task_queue)
    with caplog.at_level(logging.INFO, logger="baas.workflows"):
        assert await restarted.run_once() == 5
    assert caplog.text.count("already started") == 2, "both starts were refused as duplicates"

    feed = await StoreCheckpoints(store).feed_id()
    ids = [f"trigger.t.{feed}.on-new-todo.todos.{seq}" for seq in (1, 5)]
    outs = [await result(temporal_client, workflow_id, w.StepsDone) for workflow_id in ids]
    assert outs == [w.StepsDone(["todo-1"]), w.StepsDone(["todo-4"])]


def test_the_default_input_is_json_safe() -> None:
    from storage import ChangeRecord

    record = ChangeRecord(
        7, "todos", {"id": "1"}, "INSERT", None, {"id": "1", "n": Decimal(2)}, 0.0
    )
    from workflows.triggers import change_event

    assert change_event(record) == ChangeEvent(
        "todos", "INSERT", 7, {"id": {"S": "1"}}, {"id": {"S": "1"}, "n": {"N": "2"}}, None
    )


async def test_a_new_store_s_changes_are_not_taken_for_an_old_store_s(
    temporal_client: Client, task_queue: str, worker: Worker, store: DocumentStore, tmp_path: Path
) -> None:
    # A store made anew (say `.baas/baas.sqlite3` deleted) numbers its changes from 1
    # again, while Temporal still remembers the runs the old one started.
    await store.put_item("todos", {"id": "old"})
    old_runner = _runner(temporal_client, store, task_queue)
    assert await old_runner.run_once() == 1
    async with await open_store(SqliteConfig(tmp_path / "new.db")) as new_store:
        await new_store.create_table(TableSpec("todos", KeyAttribute("id", "S")))
        await new_store.put_item("todos", {"id": "new"})
        new_runner = _runner(temporal_client, new_store, task_queue)
        assert await new_runner.run_once() == 1
        runs = [
            f"trigger.t.{await StoreCheckpoints(s).feed_id()}.on-new-todo.todos.{seq}"
            for s in (store, new_store)
            for seq in [next(r.seq for r in await s.changes.read(0, 10) if r.table == "todos")]
        ]
    assert runs[0].rsplit(".", 1)[1] == runs[1].rsplit(".", 1)[1], "the same sequence number"
    assert runs[0] != runs[1]
    outs = [await result(temporal_client, run, w.StepsDone) for run in runs]
    assert outs == [w.StepsDone(["todo-old"]), w.StepsDone(["todo-new"])]


async def test_the_runner_waits_out_an_unreachable_temporal_then_starts_once(
    store: DocumentStore, tmp_path: Path, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A trigger firing while Temporal is down used to end the runner (and its worker).
    port = free_port()
    client = configure_client(
        await Client.connect(f"127.0.0.1:{port}", lazy=True), TEST_CALLER_SIGNER
    )
    runner = _runner(client, store, task_queue)
    await store.put_item("todos", {"id": "1", "title": "write"})
    server = EmbeddedTemporal(
        host="127.0.0.1", port=port, ui_port=None,
        db_path=tmp_path / "temporal.db", log_path=tmp_path / "temporal.log",
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="baas.workflows"):
        following = asyncio.create_task(runner.run(backoff=Backoff(initial=0.05, maximum=0.2)))
        try:
            while "Temporal cannot be reached" not in caplog.text:
                assert not following.done(), following.exception()
                await asyncio.sleep(0.05)
            await server.start()
            [record] = [r for r in await store.changes.read(0, 10) if r.table == "todos"]
            handle = client.get_workflow_handle(runner.workflow_id(_binding(), record))
            while True:  # until the retried start is in
                assert not following.done(), following.exception()
                # RuntimeError: the lazy client's first connect, while the server's
                # frontend is not healthy yet (seen on a loaded machine).
                with contextlib.suppress(RPCError, RuntimeError):
                    description = await handle.describe()
                    break
                await asyncio.sleep(0.1)
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
            await server.stop()
    assert description.task_queue == task_queue
