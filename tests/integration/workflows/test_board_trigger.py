"""The example's data trigger, wired as `baas dev` and `baas worker` wire it.

A real store (Services), the worker with the function runtime (functions act through
the access rules), and the trigger follower: flipping ``archive_requested`` on a board
starts ArchiveBoardWorkflow once, and its functions do their work as the system.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowFailureError

from baas.config import Settings
from baas.function_runtime import function_runtime
from baas.services import Services
from baas.worker import build_worker, start_triggers
from examples.board import app as board_app
from tests.integration.workflows.progress import wait_for_progress
from workflows.triggers import StoreCheckpoints


@pytest.fixture
async def services(tmp_path: Path, task_queue: str) -> AsyncIterator[Services]:
    settings = Settings(data_dir=tmp_path, task_queue=task_queue)
    services = Services(settings, app=board_app)
    await services.start()
    try:
        yield services
    finally:
        await services.stop()


async def _started(client: Client, workflow_id: str) -> None:
    while True:
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except Exception:  # noqa: BLE001 - not found yet; the follower starts it shortly
            await asyncio.sleep(0.05)
        else:
            return


async def _checkpoint_reaches(services: Services, seq: int) -> None:
    """Wait until the follower has handled every change up to ``seq``."""
    checkpoints = StoreCheckpoints(services.store)
    while await checkpoints.load("triggers.board") < seq:  # noqa: ASYNC110 - polls the store
        await asyncio.sleep(0.05)


async def test_requesting_an_archive_starts_the_workflow_once(
    temporal_client: Client, services: Services
) -> None:
    store = services.store
    settings = services.settings
    await store.put_item("boards", {"id": "b1", "name": "Q3", "status": "active", "owner": "olga"})
    worker = build_worker(temporal_client, settings, board_app, function_runtime(services))
    followers = start_triggers(temporal_client, services, settings, board_app)
    assert len(followers) == 1
    try:
        async with worker:
            await store.update_item(
                "boards", {"id": "b1"}, "SET archive_requested = :yes", values={":yes": True}
            )
            seq = await store.changes.latest_seq()
            feed = await StoreCheckpoints(store).feed_id()
            workflow_id = f"trigger.board.{feed}.archive-requested.boards.{seq}"
            await asyncio.wait_for(_started(temporal_client, workflow_id), 30)
            await asyncio.wait_for(
                wait_for_progress(temporal_client, workflow_id, "awaiting_approval"), 30
            )

            board = await store.get_item("boards", {"id": "b1"})
            assert board is not None
            assert board["status"] == "archiving"
            # A later edit of the same board is not a new request: nothing else starts.
            await store.update_item(
                "boards", {"id": "b1"}, "SET #n = :n", names={"#n": "name"}, values={":n": "Q4"}
            )
            later = await store.changes.latest_seq()
            await asyncio.wait_for(_checkpoint_reaches(services, later), 30)
            with pytest.raises(Exception):  # noqa: B017, PT011 - "not found" from the server
                await temporal_client.get_workflow_handle(
                    f"trigger.board.{feed}.archive-requested.boards.{later}"
                ).describe()
            # End the run while its worker is still here: the saga releases the board.
            handle = temporal_client.get_workflow_handle(workflow_id)
            await handle.cancel()
            with pytest.raises(WorkflowFailureError):
                await handle.result()
            board = await store.get_item("boards", {"id": "b1"})
            assert board is not None
            assert board["status"] == "active"
    finally:
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
