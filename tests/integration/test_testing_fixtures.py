"""baas's public test fixtures (baas.testing), used the way an app's own suite uses them.

The harness runs the example app's worker on the session's real Temporal server, with
a fresh store and task queue per test: functions act as their caller under the app's
rules, mail lands in the test's outbox, and data triggers follow the test's store.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from baas.application import App
from baas.testing import AppHarness
from examples.board import app as board_app
from examples.board.workflows import ArchiveBoardInput, ArchiveBoardResult, ArchiveBoardWorkflow
from functions import Caller
from workflows import (
    CallFailedError,
    CallNotFoundError,
    CallStatus,
    approve,
    cancel,
    result,
    status,
)
from workflows.triggers import StoreCheckpoints

OWNER = Caller.user("olga", ["members"])
ADMIN = Caller.user("adam", ["admin"])
MEMBERS = ["a@example.com", "b@example.com"]


@pytest.fixture
def baas_app() -> App:
    return board_app


async def test_a_workflow_runs_end_to_end_on_the_harness(baas: AppHarness) -> None:
    await baas.store.put_item(
        "boards", {"id": "b1", "name": "Q3", "status": "active", "owner": "olga"}
    )

    call_id = await baas.start(ArchiveBoardWorkflow, ArchiveBoardInput("b1", MEMBERS), OWNER)
    await approve(baas.client, call_id, ADMIN)
    out = await result(baas.client, call_id, ArchiveBoardResult)

    assert out == ArchiveBoardResult("b1", notified=2, approved_by="adam")
    board = await baas.store.get_item("boards", {"id": "b1"})
    assert board is not None
    assert board["status"] == "archived"
    outbox = baas.services.settings.data_dir / "outbox"
    assert len(list(outbox.iterdir())) == len(MEMBERS)


async def test_functions_act_as_their_caller_under_the_apps_rules(baas: AppHarness) -> None:
    await baas.store.put_item(
        "boards", {"id": "b1", "name": "Q3", "status": "active", "owner": "olga"}
    )

    # Members may read any board (the Board rules), but only its owner may change it: a
    # call started by mallory finds no board of hers to reserve, and changes nothing.
    call_id = await baas.start(
        ArchiveBoardWorkflow, ArchiveBoardInput("b1", MEMBERS), Caller.user("mallory")
    )
    with pytest.raises(CallFailedError) as failure:
        await result(baas.client, call_id)
    assert failure.value.code == "board_not_found"
    board = await baas.store.get_item("boards", {"id": "b1"})
    assert board is not None
    assert board["status"] == "active"


async def test_data_triggers_follow_the_tests_store(baas: AppHarness) -> None:
    await baas.store.put_item(
        "boards", {"id": "b1", "name": "Q3", "status": "active", "owner": "olga"}
    )
    before = await baas.store.changes.latest_seq()
    await baas.acting_as(OWNER).update_item(
        "boards", {"id": "b1"}, "SET archive_requested = :yes", values={":yes": True}
    )
    # The update's own record: the follower's bookkeeping may write to the store too,
    # so the newest record need not be this one by the time it is read.
    (seq,) = [
        record.seq
        for record in await baas.store.changes.read(before)
        if record.table == "boards" and record.event == "MODIFY"
    ]
    feed = await StoreCheckpoints(baas.store).feed_id()
    call_id = f"trigger.board.{feed}.archive-requested.boards.{seq}"

    async def started() -> None:
        while True:
            with contextlib.suppress(CallNotFoundError):  # the follower is on its way
                if await status(baas.client, call_id) == CallStatus.RUNNING:
                    return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(started(), 30)
    await cancel(baas.client, call_id)
