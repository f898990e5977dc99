"""``ArchiveBoardWorkflow``: reserve → notify every member (in parallel) → wait for an
approval → archive; on rejection, timeout, failure or cancellation the reservation is
released (a saga compensation).

Start it with ``workflows.start_call(client, ArchiveBoardWorkflow, ArchiveBoardInput(...),
caller, task_queue=...)``, watch it with the ``progress`` query, answer it with
``workflows.approve(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from baas import ApprovalRejectedError, Saga, call, parallel, wait_for_approval
    from examples.board.functions import (
        ArchiveStepInput,
        NotifyMemberInput,
        ReleaseBoardInput,
        ReserveBoardInput,
        archive_board,
        notify_member,
        release_board,
        reserve_board,
    )

__all__ = ["ArchiveBoardInput", "ArchiveBoardResult", "ArchiveBoardWorkflow"]


@dataclass(frozen=True)
class ArchiveBoardInput:
    board_id: str
    members: list[str] = field(default_factory=list)
    approval_timeout_seconds: float = 7 * 24 * 3600


@dataclass(frozen=True)
class ArchiveBoardResult:
    board_id: str
    notified: int
    approved_by: str | None


@workflow.defn(name="board.ArchiveBoard")
class ArchiveBoardWorkflow:
    """Archives a board once someone approves it (see the module docstring)."""

    def __init__(self) -> None:
        self._stage = "starting"

    @workflow.query
    def progress(self) -> str:
        """Where the archive is: reserving, notifying, awaiting_approval, archiving, done."""
        return self._stage

    @workflow.run
    async def run(self, inp: ArchiveBoardInput) -> ArchiveBoardResult:
        async with Saga() as saga:
            self._stage = "reserving"
            reserved = await call(reserve_board, ReserveBoardInput(inp.board_id))
            saga.compensate(
                release_board, ReleaseBoardInput(inp.board_id, reserved.previous_status)
            )

            self._stage = "notifying"
            notified = await parallel(
                *(call(notify_member, NotifyMemberInput(inp.board_id, m)) for m in inp.members)
            )

            self._stage = "awaiting_approval"
            approval = await wait_for_approval(
                timeout=timedelta(seconds=inp.approval_timeout_seconds)
            )
            if not approval.approved:
                raise ApprovalRejectedError(f"archiving board {inp.board_id!r} was rejected")

            self._stage = "archiving"
            await call(archive_board, ArchiveStepInput(inp.board_id, approval.by))
        self._stage = "done"
        return ArchiveBoardResult(inp.board_id, notified=len(notified), approved_by=approval.by)
