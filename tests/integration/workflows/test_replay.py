"""Safe deploys: recorded histories must replay against the current workflow code.

A change to a workflow that would break executions already in flight (a step added,
removed or reordered without ``workflow.patched``) makes this test fail. When such a
change is intended, re-record with
``.venv/bin/python -m tests.integration.workflows.record_histories``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.workflow import NondeterminismError

from examples.board import app as board_app
from examples.board.workflows import ArchiveBoardInput, ArchiveBoardResult
from tests.support import TEST_CALLER_SIGNER
from workflows.replay import replayer

HISTORIES_DIR = Path(__file__).parent / "histories"
HISTORIES = sorted(HISTORIES_DIR.glob("*.json"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_against_current_code(path: Path) -> None:
    replaying = replayer(board_app.workflows, TEST_CALLER_SIGNER, board_app.functions)
    await replaying.replay_workflow(_history(path))


@workflow.defn(name="board.ArchiveBoard", sandboxed=False)
class ArchiveWithoutNotifying:
    """ArchiveBoard as a careless edit might leave it: the notification step dropped."""

    @workflow.run
    async def run(self, inp: ArchiveBoardInput) -> ArchiveBoardResult:
        from examples.board.functions import ReserveBoardInput, reserve_board
        from workflows import call, wait_for_approval

        await call(reserve_board, ReserveBoardInput(inp.board_id))
        approval = await wait_for_approval()
        return ArchiveBoardResult(inp.board_id, 0, approval.by)


async def test_a_breaking_change_fails_the_replay() -> None:
    with pytest.raises(NondeterminismError):
        await replayer([ArchiveWithoutNotifying], TEST_CALLER_SIGNER).replay_workflow(
            _history(HISTORIES[0])
        )


@workflow.defn(name="board.ArchiveBoard", sandboxed=False)
class ArchiveNotifyingInReverse:
    """ArchiveBoard with its notifications reordered: the same calls, other inputs first."""

    @workflow.run
    async def run(self, inp: ArchiveBoardInput) -> ArchiveBoardResult:
        from examples.board.functions import (
            ArchiveStepInput,
            NotifyMemberInput,
            ReserveBoardInput,
            archive_board,
            notify_member,
            reserve_board,
        )
        from workflows import call, parallel, wait_for_approval

        await call(reserve_board, ReserveBoardInput(inp.board_id))
        members = list(reversed(inp.members))
        await parallel(*(call(notify_member, NotifyMemberInput(inp.board_id, m)) for m in members))
        approval = await wait_for_approval(timeout=timedelta(seconds=inp.approval_timeout_seconds))
        await call(archive_board, ArchiveStepInput(inp.board_id, approval.by))
        return ArchiveBoardResult(inp.board_id, len(members), approval.by)


async def test_reordered_calls_of_one_function_fail_the_replay() -> None:
    # Recorded with call ids that name their input: the swap is caught.
    with pytest.raises(NondeterminismError, match="Activity id"):
        await replayer([ArchiveNotifyingInReverse], TEST_CALLER_SIGNER).replay_workflow(
            _history(HISTORIES_DIR / "archive_board_approved.json")
        )
    # Recorded before call ids named their input: Temporal alone cannot see the swap, and
    # such histories keep replaying (the new ids are behind workflow.patched).
    await replayer([ArchiveNotifyingInReverse], TEST_CALLER_SIGNER).replay_workflow(
        _history(HISTORIES_DIR / "archive_board_approved.sequence_ids.json")
    )
