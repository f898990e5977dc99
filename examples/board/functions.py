"""The board's functions: each does one thing, idempotently, through its Context.

Boards live in the ``boards`` table (``{"id": ..., "status": ...}``); archiving a board
is composed from these by ``ArchiveBoardWorkflow`` (``examples/board/workflows.py``).
Each function writes absolute values (``status = "archiving"``), never increments, so
running one twice — Temporal runs functions at least once — changes nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from auth.errors import ItemNotFoundError
from functions import Context, FunctionError, OutgoingEmail, function
from storage.errors import ConditionalCheckFailedError

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
_STATUS = {"#status": "status"}  # a DynamoDB reserved word, so always through a placeholder


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
    try:
        board = await ctx.store.update_item(
            BOARDS,
            {"id": inp.board_id},
            # A retry of this very call finds "archiving" and keeps the first previous status.
            "SET previous_status = if_not_exists(previous_status, #status), #status = :archiving",
            condition="attribute_exists(id) AND #status <> :archived",
            names=_STATUS,
            values={":archiving": "archiving", ":archived": "archived"},
            return_values="ALL_NEW",
        )
    except ItemNotFoundError:
        raise BoardNotFoundError(f"board {inp.board_id!r} does not exist") from None
    except ConditionalCheckFailedError:
        if await ctx.store.get_item(BOARDS, {"id": inp.board_id}) is None:
            raise BoardNotFoundError(f"board {inp.board_id!r} does not exist") from None
        raise BoardAlreadyArchivedError(f"board {inp.board_id!r} is already archived") from None
    return ReserveBoardOutput(previous_status=str(board["previous_status"]))


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
        await ctx.store.update_item(
            BOARDS,
            {"id": inp.board_id},
            "SET #status = :archived, approved_by = :by REMOVE previous_status",
            condition="attribute_exists(id)",
            names=_STATUS,
            values={":archived": "archived", ":by": inp.approved_by},
        )
    except (ItemNotFoundError, ConditionalCheckFailedError):
        raise BoardNotFoundError(f"board {inp.board_id!r} does not exist") from None
    return ArchiveStepOutput(board_id=inp.board_id)


@function(timeout=10, retries=10)
async def release_board(ctx: Context, inp: ReleaseBoardInput) -> ReleaseBoardOutput:
    """Compensation of reserve_board: put the board back as it was."""
    with contextlib.suppress(ItemNotFoundError, ConditionalCheckFailedError):
        # Only a board still being archived is released: running this twice is harmless.
        await ctx.store.update_item(
            BOARDS,
            {"id": inp.board_id},
            "SET #status = :previous, archive_requested = :no REMOVE previous_status",
            condition="attribute_exists(id) AND #status = :archiving",
            names=_STATUS,
            values={":previous": inp.previous_status, ":archiving": "archiving", ":no": False},
        )
    return ReleaseBoardOutput(board_id=inp.board_id)
