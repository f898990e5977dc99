"""Long workflows: start over as a new run, carrying the progress made so far.

Every step of a workflow adds events to its history, and Temporal caps a history
(51,200 events or 50 MB by default, with warnings from 10,240 events); a workflow
that loops over thousands of items must "continue as new" before that: end this run
and start the next one, under the same workflow id, from an input that says where to
resume. The call id stays the same, so clients keep following the call; the caller
travels on to the new run (see :mod:`workflows.worker_identity`).

::

    @workflow.run
    async def run(self, inp: ArchiveAllInput) -> ArchiveAllResult:
        for start in range(inp.done, len(inp.board_ids), 100):
            batch = inp.board_ids[start : start + 100]
            await parallel(*(call(archive_board, ArchiveStepInput(b)) for b in batch))
            await continue_as_new_if_needed(replace(inp, done=start + len(batch)))
        return ArchiveAllResult(len(inp.board_ids))
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

__all__ = ["HISTORY_EVENTS_LIMIT", "continue_as_new_if_needed", "history_is_long"]

HISTORY_EVENTS_LIMIT = 10_000
"""Events after which a run continues as new: Temporal starts warning at 10,240."""


def history_is_long(max_events: int = HISTORY_EVENTS_LIMIT) -> bool:
    """True once this run's history has ``max_events`` events, or Temporal suggests
    continuing as new (its history grew too large in events or bytes)."""
    info = workflow.info()
    return info.is_continue_as_new_suggested() or info.get_current_history_length() >= max_events


async def continue_as_new_if_needed(
    next_input: Any, *, max_events: int = HISTORY_EVENTS_LIMIT
) -> None:
    """Continue as a new run from ``next_input`` if the history is long; else return.

    Call it between steps, with an input that resumes after the work already done.
    Signal and update handlers still running are let finish first; what they left in
    the workflow's state (a received approval, say) must travel in ``next_input``.
    """
    if not history_is_long(max_events):
        return
    await workflow.wait_condition(workflow.all_handlers_finished)
    workflow.continue_as_new(next_input)
