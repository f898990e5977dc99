"""The board's functions: each does one thing, idempotently, through its Context.

Boards live in the ``boards`` table (``{"id": ..., "status": ...}``); archiving a board
is composed from these by ``ArchiveBoardWorkflow`` (``examples/board/workflows.py``).
Each function writes absolute values (``status = "archiving"``), never increments, so
running one twice — Temporal runs functions at least once — changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions import Context, FunctionError, OutgoingEmail, function

__all__ = [
    "ArchiveStepInput",
    "ArchiveStepOutput",
    "BoardAlreadyArchivedError",
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

BOARDS = "boards"


class BoardNotFoundError(FunctionError):
    code = "board_not_found"


class BoardAlreadyArchivedError(FunctionError):
    code = "board_already_archived"


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
    board = await ctx.store.get_item(BOARDS, {"id": inp.board_id})
    if board is None:
        raise BoardNotFoundError(f"board {inp.board_id!r} does not exist")
    status = str(board.get("status", "active"))
    if status == "archived":
        raise BoardAlreadyArchivedError(f"board {inp.board_id!r} is already archived")
    if status == "archiving":  # a retry of this very call: the first attempt got here
        return ReserveBoardOutput(previous_status=str(board.get("previous_status", "active")))
    await ctx.store.put_item(BOARDS, {**board, "status": "archiving", "previous_status": status})
    return ReserveBoardOutput(previous_status=status)


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
    board = await ctx.store.get_item(BOARDS, {"id": inp.board_id})
    if board is None:
        raise BoardNotFoundError(f"board {inp.board_id!r} does not exist")
    await ctx.store.put_item(
        BOARDS, {**board, "status": "archived", "approved_by": inp.approved_by}
    )
    return ArchiveStepOutput(board_id=inp.board_id)


@function(timeout=10, retries=10)
async def release_board(ctx: Context, inp: ReleaseBoardInput) -> ReleaseBoardOutput:
    """Compensation of reserve_board: put the board back as it was."""
    board = await ctx.store.get_item(BOARDS, {"id": inp.board_id})
    if board is not None and board.get("status") == "archiving":
        restored = {k: v for k, v in board.items() if k != "previous_status"}
        await ctx.store.put_item(BOARDS, {**restored, "status": inp.previous_status})
    return ReleaseBoardOutput(board_id=inp.board_id)
