"""Errors of the workflows package.

Two kinds, under one root:

* raised *inside* a workflow, they must fail the workflow (an exception that is not a
  Temporal failure would only fail the workflow task, which Temporal retries forever).
  They are therefore also non-retryable ``ApplicationError``\\ s whose ``type`` is
  their ``code``;
* raised by the client API to whoever started or awaits a call.

::

    WorkflowsError                     workflows_error
    ├── WorkflowFailure                (raised inside a workflow; fails it)
    │   ├── SignalTimeoutError         signal_timeout     no signal within the timeout
    │   └── ApprovalRejectedError      approval_rejected  an approver said no
    ├── CallFailedError                <the failure's code>  a call ended in failure
    ├── CallCancelledError             call_cancelled
    ├── CallNotFoundError              call_not_found
    ├── IdempotencyConflictError       idempotency_conflict  a used key, with another input
    ├── TemporalUnavailableError       temporal_unavailable  Temporal cannot be reached: retry later
    ├── UnsignedClientError            unsigned_client    a Temporal client without the caller key (wiring)
    └── ScheduleError                  invalid_schedule   a bad schedule declaration

A ``CallFailedError``'s code is the one the failure carried: a function's own
``FunctionError.code``, ``timeout`` when an attempt or the call ran out of time, or
``internal`` for anything unexpected (whose detail stays in the worker's log).
"""

from __future__ import annotations

from typing import ClassVar

from temporalio.exceptions import ApplicationError

__all__ = [
    "ApprovalRejectedError",
    "CallCancelledError",
    "CallFailedError",
    "CallNotFoundError",
    "IdempotencyConflictError",
    "ScheduleError",
    "SignalTimeoutError",
    "TemporalUnavailableError",
    "UnsignedClientError",
    "WorkflowFailure",
    "WorkflowsError",
]


class WorkflowsError(Exception):
    """Root of every error raised on purpose by ``workflows``."""

    code: str = "workflows_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkflowFailure(WorkflowsError, ApplicationError):  # noqa: N818 - it is an error; the name says where
    """Raised inside a workflow to fail it with this error's ``code``."""

    def __init__(self, message: str) -> None:
        # ApplicationError already exposes ``message`` (read-only).
        ApplicationError.__init__(self, message, type=self.code, non_retryable=True)


class SignalTimeoutError(WorkflowFailure):
    """The awaited signal (or approval) did not arrive in time."""

    code = "signal_timeout"


class ApprovalRejectedError(WorkflowFailure):
    """An approver rejected the request."""

    code = "approval_rejected"


class CallFailedError(WorkflowsError):
    """A call ended in failure; ``code`` is the failure's stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CallCancelledError(WorkflowsError):
    """The call was cancelled before it finished."""

    code = "call_cancelled"


class CallNotFoundError(WorkflowsError):
    """No call with this id exists (or it is past the retention period)."""

    code = "call_not_found"


class IdempotencyConflictError(WorkflowsError):
    """An idempotency key already started a call with another input.

    Returning the first call would let a client believe its second input ran (DynamoDB
    answers a reused ``ClientRequestToken`` the same way: IdempotentParameterMismatch).
    """

    code = "idempotency_conflict"

    def __init__(self) -> None:
        super().__init__(
            "This idempotency key already started a call with a different input; "
            "use a new key for a new input."
        )


class TemporalUnavailableError(WorkflowsError):
    """Temporal cannot be reached right now; nothing was started or changed.

    Momentary (a restart, a network cut): the same request is expected to succeed
    later. ``retry_after`` is a hint in seconds (a dev server restarts in about one).
    """

    code = "temporal_unavailable"
    retry_after: ClassVar[int] = 2

    def __init__(self, message: str = "Workflows are unavailable right now; retry later.") -> None:
        super().__init__(message)


class ScheduleError(WorkflowsError):
    """A schedule declaration cannot be turned into a Temporal Schedule."""

    code = "invalid_schedule"


class UnsignedClientError(WorkflowsError):
    """A Temporal client was handed over without the caller key (a wiring bug).

    Workers refuse workflows whose caller is not signed, so such a client could only
    start calls that fail: it is refused at once instead.
    """

    code = "unsigned_client"

    def __init__(self) -> None:
        super().__init__(
            "this Temporal client cannot sign callers: make it with "
            "configure_client(client, CallerSigner.from_secret_keys(...))"
        )
