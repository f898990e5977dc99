"""workflows: composing functions on Temporal.

Inside a workflow (``@workflow.run``): :func:`call`, :func:`parallel`, :class:`Saga`,
:func:`wait_for_signal`, :func:`wait_for_approval`, :func:`sleep`, and
:func:`continue_as_new_if_needed` for long loops.

From a client: :func:`start_call`, :func:`result`, :func:`status`, :func:`signal`,
:func:`approve`, :func:`cancel`. Around them: :class:`CallerInterceptor` (the caller
travels in headers), :func:`sync_schedules`, and :class:`InvokeFunctionWorkflow` (one
function as a one-step workflow).

The worker side lives in :mod:`workflows.worker` (:func:`~workflows.worker.create_worker`)
and is not imported here: a process that only starts calls (the API) never loads the
Temporal worker.
"""

from workflows.calls import PARALLEL_LIMIT, call, parallel, sleep
from workflows.client import (
    CallStatus,
    approve,
    call_id_for,
    cancel,
    result,
    signal,
    start_call,
    status,
)
from workflows.clients import baas_data_converter, configure_client
from workflows.continue_as_new import continue_as_new_if_needed, history_is_long
from workflows.errors import (
    ApprovalRejectedError,
    CallCancelledError,
    CallFailedError,
    CallNotFoundError,
    IdempotencyConflictError,
    ScheduleError,
    SignalTimeoutError,
    TemporalUnavailableError,
    WorkflowFailure,
    WorkflowsError,
)
from workflows.identity import CallerInterceptor
from workflows.invoke import INVOKE_WORKFLOW, InvokeFunctionWorkflow
from workflows.saga import Saga
from workflows.schedules import ScheduleBinding, SyncReport, schedule_prefix, sync_schedules
from workflows.signals import (
    APPROVAL_SIGNAL,
    Approval,
    ApprovalDecision,
    Received,
    wait_for_approval,
    wait_for_signal,
)

__all__ = [
    "APPROVAL_SIGNAL",
    "INVOKE_WORKFLOW",
    "PARALLEL_LIMIT",
    "Approval",
    "ApprovalDecision",
    "ApprovalRejectedError",
    "CallCancelledError",
    "CallFailedError",
    "CallNotFoundError",
    "CallStatus",
    "CallerInterceptor",
    "IdempotencyConflictError",
    "InvokeFunctionWorkflow",
    "Received",
    "Saga",
    "ScheduleBinding",
    "ScheduleError",
    "SignalTimeoutError",
    "SyncReport",
    "TemporalUnavailableError",
    "WorkflowFailure",
    "WorkflowsError",
    "approve",
    "baas_data_converter",
    "call",
    "call_id_for",
    "cancel",
    "configure_client",
    "continue_as_new_if_needed",
    "history_is_long",
    "parallel",
    "result",
    "schedule_prefix",
    "signal",
    "sleep",
    "start_call",
    "status",
    "sync_schedules",
    "wait_for_approval",
    "wait_for_signal",
]
