"""Re-record the workflow histories that the replay test checks new code against.

    .venv/bin/python -m tests.integration.workflows.record_histories

Run it only when a workflow changed *on purpose* in a way running workflows may not
see (and those are drained, or the change is behind ``workflow.patched``): the replay
test exists to fail when a change would break workflows already in flight. It starts
its own throwaway Temporal dev server, runs each scenario once against the current
code, and writes ``histories/<scenario>.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from temporalio.client import Client

from baas.temporal_dev import EmbeddedTemporal
from examples.board import app as board_app
from examples.board.functions import ReserveBoardInput, reserve_board
from examples.board.workflows import ArchiveBoardInput, ArchiveBoardWorkflow
from functions import Caller
from tests.integration.workflows.memory import Journal
from tests.support import TEST_CALLER_SIGNER, free_port
from workflows import (
    CallerInterceptor,
    WorkflowsError,
    approve,
    baas_data_converter,
    result,
    start_call,
)
from workflows.worker import create_worker

HISTORIES = Path(__file__).parent / "histories"
OWNER = Caller.user("olga", ["members"])
ADMIN = Caller.user("adam", ["admin"])

Scenario = Callable[[Client, str, Journal], Awaitable[str]]


async def archive_approved(client: Client, task_queue: str, journal: Journal) -> str:
    await _board(journal)
    call_id = await start_call(
        client,
        ArchiveBoardWorkflow,
        ArchiveBoardInput("b1", ["a@x.org", "b@x.org"]),
        OWNER,
        task_queue=task_queue,
    )
    await _await_stage(client, call_id, "awaiting_approval")
    await approve(client, call_id, ADMIN)
    await result(client, call_id)
    return call_id


async def archive_rejected(client: Client, task_queue: str, journal: Journal) -> str:
    await _board(journal)
    call_id = await start_call(
        client,
        ArchiveBoardWorkflow,
        ArchiveBoardInput("b1", ["a@x.org"]),
        OWNER,
        task_queue=task_queue,
    )
    await _await_stage(client, call_id, "awaiting_approval")
    await approve(client, call_id, ADMIN, approved=False)
    with contextlib.suppress(WorkflowsError):  # the rejection is the point
        await result(client, call_id)
    return call_id


async def invoke_function(client: Client, task_queue: str, journal: Journal) -> str:
    await _board(journal)
    call_id = await start_call(
        client, reserve_board, ReserveBoardInput("b1"), OWNER, task_queue=task_queue
    )
    await result(client, call_id)
    return call_id


async def _board(journal: Journal) -> None:
    assert journal.store is not None
    await journal.store.put_item(
        "boards", {"id": "b1", "status": "active", "name": "Q3", "owner": OWNER.user_id}
    )


SCENARIOS: dict[str, Scenario] = {
    "archive_board_approved": archive_approved,
    "archive_board_rejected": archive_rejected,
    "invoke_function": invoke_function,
}


async def _await_stage(client: Client, call_id: str, stage: str) -> None:
    handle = client.get_workflow_handle(call_id)
    while await handle.query(ArchiveBoardWorkflow.progress) != stage:  # noqa: ASYNC110 - polls the server
        await asyncio.sleep(0.05)


async def record() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedTemporal(
            host="127.0.0.1",
            port=free_port(),
            ui_port=None,
            db_path=Path(tmp) / "t.sqlite3",
            log_path=Path(tmp) / "t.log",
        )
        await server.start()
        try:
            client = await _connect(server.address)
            HISTORIES.mkdir(exist_ok=True)
            for name, scenario in SCENARIOS.items():
                journal = await Journal.open_board_store(Path(tmp) / f"{name}.sqlite3")
                task_queue = f"record-{uuid.uuid4().hex}"
                worker = create_worker(
                    client,
                    task_queue=task_queue,
                    workflows=board_app.workflows,
                    functions=board_app.functions,
                    runtime=journal.runtime(),
                )
                async with worker:
                    call_id = await scenario(client, task_queue, journal)
                assert journal.store is not None
                await journal.store.close()
                history = await client.get_workflow_handle(call_id).fetch_history()
                (HISTORIES / f"{name}.json").write_text(history.to_json())
                print(f"recorded {name}")  # noqa: T201 - a developer script reports progress
        finally:
            await server.stop()


async def _connect(address: str) -> Client:
    for _ in range(100):
        try:
            return await Client.connect(
                address,
                data_converter=baas_data_converter(),
                interceptors=[CallerInterceptor(TEST_CALLER_SIGNER)],
            )
        except RuntimeError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"Temporal at {address} never became healthy")


if __name__ == "__main__":
    asyncio.run(record())
    os._exit(0)  # the SDK can crash at interpreter exit (FACTS.md)
