"""A shared task board: the example application ``make run`` starts.

Models, functions and workflows are added here as baas grows; the App is the anchor
everything attaches to.
"""

from baas import App, allow_call

app = App("board")

# Models (issue 5): Board and Todo, served by GraphQL at /graphql.
from examples.board import models  # noqa: E402, F401 - registers the models on the App

# Functions and workflows (issue 6): archive a board with an approval.
from examples.board.functions import (  # noqa: E402 - registered after the App exists
    archive_board,
    notify_member,
    release_board,
    reserve_board,
)
from examples.board.workflows import ArchiveBoardWorkflow  # noqa: E402

for _fn in (reserve_board, notify_member, archive_board):
    app.function(_fn)
# Exposed through GraphQL (startArchiveBoard, startReleaseBoard, call, approveCall ...).
# Any signed-in user may ask to archive a board (its functions act as that user, so the
# Board owner rule still decides whose boards); admins approve anyone's request.
app.workflow(
    ArchiveBoardWorkflow,
    rules=[
        allow_call.authenticated(operations=["start"]),
        allow_call.groups("admin", operations=["approve"]),
    ],
)
# Admins may release a board left "archiving" by hand: a function as a one-step call.
app.function(release_board, rules=[allow_call.groups("admin", operations=["start"])])

# A data trigger: requesting the archive of a board (archiveRequested: true through
# GraphQL's updateBoard) starts ArchiveBoardWorkflow once for that change.
from examples.board.triggers import archive_requested, archive_requested_input  # noqa: E402

app.trigger(
    "archive-requested",
    model="Board",
    events=("MODIFY",),
    target=ArchiveBoardWorkflow,
    where=archive_requested,
    to_input=archive_requested_input,
)
