"""What a caller sees when a call fails, and how call ids are derived."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    RetryState,
    TimeoutType,
)
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

from functions import Caller
from workflows import (
    CallCancelledError,
    CallFailedError,
    ScheduleBinding,
    ScheduleError,
    call_id_for,
)
from workflows.failures import call_error


def _failure(inner: BaseException) -> WorkflowFailureError:
    activity = ActivityError(
        "activity failed",
        scheduled_event_id=1,
        started_event_id=2,
        identity="w",
        activity_type="f",
        activity_id="1",
        retry_state=RetryState.NON_RETRYABLE_FAILURE,
    )
    activity.__cause__ = inner
    return WorkflowFailureError(cause=activity)


@pytest.mark.parametrize(
    ("inner", "code", "message"),
    [
        (
            ApplicationError("board b1 does not exist", type="board_not_found", non_retryable=True),
            "board_not_found",
            "board b1 does not exist",
        ),
        (
            ApplicationError("db password is hunter2", type="RuntimeError"),
            "internal",
            "the call failed unexpectedly; see the worker log",
        ),
        (
            TemporalTimeoutError("t", type=TimeoutType.START_TO_CLOSE, last_heartbeat_details=[]),
            "timeout",
            "the call ran out of time",
        ),
    ],
)
def test_a_failure_keeps_deliberate_codes_and_masks_the_rest(
    inner: BaseException, code: str, message: str
) -> None:
    error = call_error(_failure(inner))
    assert isinstance(error, CallFailedError)
    assert (error.code, error.message) == (code, message)


def test_a_history_the_code_no_longer_replays_is_reported_as_nondeterministic() -> None:
    # How the worker fails a workflow on nondeterminism: no type, Temporal's code in the text.
    raised = ApplicationError(
        "[TMPRL1100] Nondeterminism error: Activity id of scheduled event '1.ab' does not "
        "match activity id of activity command '1.cd'"
    )
    error = call_error(WorkflowFailureError(cause=raised))
    assert isinstance(error, CallFailedError)
    assert error.code == "nondeterministic"
    assert "1.ab" not in error.message  # the history's details stay out of the answer
    # The same text from deeper down (a function's message) is not a replay failure.
    assert call_error(_failure(raised)).code == "internal"


def test_a_cancellation_is_reported_as_such() -> None:
    assert isinstance(call_error(_failure(CancelledError("cancelled"))), CallCancelledError)


def test_call_ids_are_stable_per_caller_target_and_key() -> None:
    alice, bob = Caller.user("alice"), Caller.user("bob")
    assert call_id_for(alice, "f", "k") == call_id_for(alice, "f", "k")
    assert call_id_for(alice, "f", "k") != call_id_for(bob, "f", "k")
    assert call_id_for(alice, "f", "k") != call_id_for(alice, "g", "k")
    assert call_id_for(alice, "f", "k") != call_id_for(Caller.anonymous(), "f", "k")


@pytest.mark.parametrize(
    ("name", "cron", "message"),
    [
        ("bad name", "* * * * *", "letters, digits"),
        ("ok", [], "at least one cron"),
        ("ok", " ", "at least one cron"),
    ],
)
def test_a_bad_schedule_declaration_is_refused(
    name: str, cron: str | list[str], message: str
) -> None:
    with pytest.raises(ScheduleError, match=message):
        ScheduleBinding(name, cron, "f", None)
