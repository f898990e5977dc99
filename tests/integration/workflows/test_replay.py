"""Safe deploys: recorded histories must replay against the current workflow code.

A change to a workflow that would break executions already in flight (a step added,
removed or reordered without ``workflow.patched``) makes this test fail. When such a
change is intended, re-record with
``.venv/bin/python -m tests.integration.workflows.record_histories``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from examples.board import app as board_app
from examples.board.workflows import ArchiveBoardInput, ArchiveBoardResult
from workflows import InvokeFunctionWorkflow, baas_data_converter
from workflows.worker import workflow_runner
from workflows.worker_identity import CallerWorkerInterceptor

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_against_current_code(path: Path) -> None:
    replayer = Replayer(
        workflows=[InvokeFunctionWorkflow, *board_app.workflows],
        data_converter=baas_data_converter(),
        interceptors=[CallerWorkerInterceptor()],
        workflow_runner=workflow_runner(),
    )
    await replayer.replay_workflow(_history(path))


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
    replayer = Replayer(
        workflows=[ArchiveWithoutNotifying],
        data_converter=baas_data_converter(),
        interceptors=[CallerWorkerInterceptor()],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(_history(HISTORIES[0]))
