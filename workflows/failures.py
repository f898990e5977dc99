"""Turning a Temporal failure chain into the one error a caller should see.

A failed call reaches the client as ``WorkflowFailureError`` → (``ActivityError`` →)
``ApplicationError`` / ``TimeoutError`` / ``CancelledError``. Deliberate failures
(a function's FunctionError, a workflow's WorkflowFailure, a declared non-retryable
type) are non-retryable ApplicationErrors whose ``type`` is their code: those keep
their code and message. So does a call the pool ended at its timeout (retryable, so
it reaches here only once the retries are spent). Anything else is unexpected: the caller gets ``internal`` and
a fixed message, and the detail stays in the worker's log and the workflow history
(threat: leaking internals through error messages).

The worker fails a workflow whose task cannot make progress instead of retrying it for
ever (see :mod:`workflows.worker`); one such failure carries no code of its own and is
recognised here: ``nondeterministic``, when the workflow's code no longer replays its
history (a deploy changed it under a running call). Temporal marks it with its
documented error code TMPRL1100.
"""

from __future__ import annotations

from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

from workflows.errors import CallCancelledError, CallFailedError, WorkflowsError

__all__ = ["call_error"]

INTERNAL = "internal"
TIMEOUT = "timeout"
NONDETERMINISTIC = "nondeterministic"
# Temporal's documented code for a history that the workflow code no longer replays.
_NONDETERMINISM_MARK = "[TMPRL1100]"


def call_error(exc: WorkflowFailureError) -> WorkflowsError:
    """The client-side error for a failed call."""
    chain: list[BaseException] = []
    current: BaseException | None = exc.cause
    while current is not None and len(chain) < 32:
        chain.append(current)
        current = current.__cause__
    for error in chain:
        if isinstance(error, CancelledError):
            return CallCancelledError("the call was cancelled")
    # The innermost failure says what went wrong; the outer ones say where.
    for error in reversed(chain):
        if isinstance(error, TemporalTimeoutError) or (
            isinstance(error, ApplicationError) and error.type == TIMEOUT
        ):
            return CallFailedError(TIMEOUT, "the call ran out of time")
        if isinstance(error, ApplicationError) and error.non_retryable and error.type:
            return CallFailedError(error.type, error.message)
    first = chain[0] if chain else None
    if isinstance(first, ApplicationError) and _NONDETERMINISM_MARK in first.message:
        return CallFailedError(
            NONDETERMINISTIC,
            "the workflow's code changed in a way this call's history does not replay; "
            "see 'Deploying workflow changes' in docs/functions.md",
        )
    return CallFailedError(INTERNAL, "the call failed unexpectedly; see the worker log")
