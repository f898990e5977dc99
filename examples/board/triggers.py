"""How a change of a board becomes an archive request (used by the data trigger)."""

from __future__ import annotations

from baas import ChangeRecord
from examples.board.workflows import ArchiveBoardInput

__all__ = ["archive_requested", "archive_requested_input"]


def archive_requested(record: ChangeRecord) -> bool:
    """The change turned ``archive_requested`` on (not every later edit of the board)."""
    new = record.new_image or {}
    old = record.old_image or {}
    return bool(new.get("archive_requested")) and not old.get("archive_requested")


def archive_requested_input(record: ChangeRecord) -> ArchiveBoardInput:
    new = record.new_image or {}
    return ArchiveBoardInput(board_id=str(new["id"]))
