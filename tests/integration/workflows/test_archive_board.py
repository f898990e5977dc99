"""The example's ArchiveBoardWorkflow: parallel notifications, an approval, a saga."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from examples.board.workflows import ArchiveBoardInput, ArchiveBoardResult, ArchiveBoardWorkflow
from functions import Caller
from tests.integration.workflows.memory import Journal
from tests.integration.workflows.progress import wait_for_progress
from workflows import CallCancelledError, CallFailedError, approve, cancel, result, start_call

OWNER = Caller.user("olga", ["members"])
ADMIN = Caller.user("adam", ["admin"])
MEMBERS = ["a@example.com", "b@example.com", "c@example.com"]


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[Journal]:
    """Functions get the real store, acting as their caller under the board's rules."""
    journal = await Journal.open_board_store(tmp_path / "board.sqlite3")
    assert journal.store is not None
    try:
        yield journal
    finally:
        await journal.store.close()


async def _board(journal: Journal) -> dict[str, Any] | None:
    assert journal.store is not None
    return await journal.store.get_item("boards", {"id": "b1"})


async def _start(
    client: Client, task_queue: str, journal: Journal, approval_timeout: float = 60
) -> str:
    assert journal.store is not None
    await journal.store.put_item(
        "boards", {"id": "b1", "status": "active", "name": "Q3", "owner": OWNER.user_id}
    )
    return await start_call(
        client,
        ArchiveBoardWorkflow,
        ArchiveBoardInput("b1", MEMBERS, approval_timeout_seconds=approval_timeout),
        OWNER,
        task_queue=task_queue,
    )


async def test_an_approved_archive_notifies_every_member_and_archives(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await _start(temporal_client, task_queue, journal)
    await wait_for_progress(temporal_client, call_id, "awaiting_approval")
    board = await _board(journal)
    assert board is not None
    assert board["status"] == "archiving"

    await approve(temporal_client, call_id, ADMIN)
    out = await result(temporal_client, call_id, ArchiveBoardResult)

    assert out == ArchiveBoardResult("b1", notified=3, approved_by="adam")
    assert sorted(email.to for email, _key in journal.sent) == MEMBERS
    assert len({key for _email, key in journal.sent}) == 3, "one idempotency key per call"
    board = await _board(journal)
    assert board is not None
    assert (board["status"], board["approved_by"], board["name"]) == ("archived", "adam", "Q3")
    assert "previous_status" not in board
    assert {caller for caller, _acts_as in journal.store_requests} == {OWNER}


async def test_a_rejected_archive_releases_the_board(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await _start(temporal_client, task_queue, journal)
    await wait_for_progress(temporal_client, call_id, "awaiting_approval")
    await approve(temporal_client, call_id, ADMIN, approved=False, comment="not yet")

    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "approval_rejected"
    board = await _board(journal)
    assert board is not None
    assert board.pop("updated_at") > "2026"  # the functions' writes follow the model
    assert board == {
        "id": "b1",
        "status": "active",
        "name": "Q3",
        "owner": "olga",
        "archive_requested": False,
        "version": 3,  # put, reserved, released: every write bumps it
    }


async def test_an_unanswered_approval_times_out_and_releases_the_board(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await _start(temporal_client, task_queue, journal, approval_timeout=0.5)
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "signal_timeout"
    board = await _board(journal)
    assert board is not None
    assert board["status"] == "active"


async def test_cancelling_while_waiting_for_approval_releases_the_board(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await _start(temporal_client, task_queue, journal)
    await wait_for_progress(temporal_client, call_id, "awaiting_approval")
    await cancel(temporal_client, call_id)

    with pytest.raises(CallCancelledError):
        await result(temporal_client, call_id)
    board = await _board(journal)
    assert board is not None
    assert board["status"] == "active"


async def test_archiving_a_missing_board_fails_with_its_code(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    call_id = await start_call(
        temporal_client,
        ArchiveBoardWorkflow,
        ArchiveBoardInput("nope", MEMBERS),
        OWNER,
        task_queue=task_queue,
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "board_not_found"
    assert journal.sent == []


async def test_someone_elses_board_is_not_found_and_stays_unchanged(
    temporal_client: Client, task_queue: str, worker: Worker, journal: Journal
) -> None:
    """The functions act as the caller: the board's owner rule applies inside the workflow."""
    assert journal.store is not None
    await journal.store.put_item("boards", {"id": "b2", "status": "active", "owner": "zoe"})
    call_id = await start_call(
        temporal_client,
        ArchiveBoardWorkflow,
        ArchiveBoardInput("b2", MEMBERS),
        OWNER,
        task_queue=task_queue,
    )
    with pytest.raises(CallFailedError) as failure:
        await result(temporal_client, call_id)
    assert failure.value.code == "board_not_found"
    board = await journal.store.get_item("boards", {"id": "b2"})
    assert board == {"id": "b2", "status": "active", "owner": "zoe", "version": 1}
