"""The board's functions: each does one thing, idempotently, through its Context.

They reach boards through ``ctx.models.Board`` (the ``Board`` model of ``models.py``):
typed items, the board's access rules, and the model's invariants (every write bumps
``version`` and ``updated_at``). Archiving a board is composed from these by
``ArchiveBoardWorkflow`` (``examples/board/workflows.py``). Each function writes
absolute values (``status = "archiving"``), never increments, so running one twice —
Temporal runs functions at least once — changes nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from baas import (
    ConditionalCheckFailedError,
    Context,
    FunctionError,
    ItemNotFoundError,
    OutgoingEmail,
    function,
)

__all__ = [
    "ArchiveStepInput",
    "ArchiveStepOutput",
    "BoardAlreadyArchivedError",
    "BoardChangedError",
    "BoardNotFoundError",
    "NotifyMemberInput",
    "NotifyMemberOutput",
    "ReleaseBoardInput",
    "ReleaseBoardOutput",
    "ReserveBoardInput",
    "ReserveBoardOutput",
    "archive_board",
    "notify_member",
    "release_board",
    "reserve_board",
]


class BoardNotFoundError(FunctionError):
    code = "board_not_found"


class BoardAlreadyArchivedError(FunctionError):
    code = "board_already_archived"


class BoardChangedError(Exception):
    """The board changed between reading and writing it: retried (not a FunctionError)."""


@dataclass(frozen=True)
class ReserveBoardInput:
    board_id: str


@dataclass(frozen=True)
class ReserveBoardOutput:
    previous_status: str


@dataclass(frozen=True)
class NotifyMemberInput:
    board_id: str
    email: str


@dataclass(frozen=True)
class NotifyMemberOutput:
    email: str


@dataclass(frozen=True)
class ArchiveStepInput:
    board_id: str
    approved_by: str | None


@dataclass(frozen=True)
class ArchiveStepOutput:
    board_id: str


@dataclass(frozen=True)
class ReleaseBoardInput:
    board_id: str
    previous_status: str


@dataclass(frozen=True)
class ReleaseBoardOutput:
    board_id: str


@function(timeout=10, retries=3)
async def reserve_board(ctx: Context, inp: ReserveBoardInput) -> ReserveBoardOutput:
    """Mark the board as being archived, so nobody archives it twice at once."""
    boards = ctx.models.Board
    board = await boards.get(id=inp.board_id)
    if board is None:
        raise BoardNotFoundError(f"board {inp.board_id!r} does not exist")
    if board.status == "archived":
        raise BoardAlreadyArchivedError(f"board {inp.board_id!r} is already archived")
    # A retry of this very call finds "archiving" and keeps the first previous status.
    previous = (board.previous_status or "active") if board.status == "archiving" else board.status
    try:
        # Only if nobody changed the board since we read it (optimistic locking); the
        # write also checks that the caller may change it (readable is not writable).
        await boards.update(
            board,
            set={"status": "archiving", "previous_status": previous},
            expected_version=board.version,
        )
    except ItemNotFoundError:  # readable by every member, changed only by its owner
        raise BoardNotFoundError(f"board {inp.board_id!r} does not exist") from None
    except ConditionalCheckFailedError:
        raise BoardChangedError(f"board {inp.board_id!r} changed; trying again") from None
    return ReserveBoardOutput(previous_status=previous)


@function(timeout=10, retries=5, backoff=2)
async def notify_member(ctx: Context, inp: NotifyMemberInput) -> NotifyMemberOutput:
    """Email one member that the board is about to be archived."""
    await ctx.mail.send(
        OutgoingEmail(
            to=inp.email,
            subject="A board is being archived",
            text=f"Board {inp.board_id} will be archived once approved.",
        ),
        # The provider drops the duplicate if this function is retried after sending.
        idempotency_key=ctx.idempotency_key,
    )
    return NotifyMemberOutput(email=inp.email)


@function(timeout=10, retries=3)
async def archive_board(ctx: Context, inp: ArchiveStepInput) -> ArchiveStepOutput:
    """Mark the board archived, recording who approved it."""
    try:
        await ctx.models.Board.update(
            {"id": inp.board_id},
            set={"status": "archived", "approved_by": inp.approved_by, "previous_status": None},
        )
    except ItemNotFoundError:
        raise BoardNotFoundError(f"board {inp.board_id!r} does not exist") from None
    return ArchiveStepOutput(board_id=inp.board_id)


@function(timeout=10, retries=10)
async def release_board(ctx: Context, inp: ReleaseBoardInput) -> ReleaseBoardOutput:
    """Compensation of reserve_board: put the board back as it was."""
    with contextlib.suppress(ItemNotFoundError, ConditionalCheckFailedError):
        # Only a board still being archived is released: running this twice is harmless.
        await ctx.models.Board.update(
            {"id": inp.board_id},
            set={
                "status": inp.previous_status,
                "archive_requested": False,
                "previous_status": None,
            },
            condition={"status": {"eq": "archiving"}},
        )
    return ReleaseBoardOutput(board_id=inp.board_id)
