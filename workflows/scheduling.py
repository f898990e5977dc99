"""How a workflow schedules its calls: ids that name their input, and a bound on calls in flight.

Two things Temporal does not check on its own, enforced on every activity a workflow
starts (whether through :func:`~workflows.calls.call` or ``workflow.execute_activity``):

- **A changed call is caught on replay.** Temporal's replay compares each scheduled
  activity's *type* and *id* with the history, never its input, and the default id is
  a sequence number. So a deploy that swaps two calls of one function with different
  inputs replays "fine" and every running workflow finishes with the wrong effects
  (threat: silent divergence after a deploy). Here each call's id is its sequence
  number plus a digest of its encoded input, so a reordered or changed call no longer
  matches its history and fails the replay (``NondeterminismError``, which the worker
  turns into a failed call with code ``nondeterministic``). Histories recorded before
  this existed carry no patch marker and keep Temporal's default ids
  (``workflow.patched``), so they still replay.
- **At most** ``max_pending`` **calls in flight per workflow.** Past Temporal's own
  limit (2,000 pending activities by default) the server refuses the workflow task,
  which is retried for ever while the call shows RUNNING. Scheduling one call too many
  fails the call at once with code ``too_many_pending_calls`` instead;
  :func:`~workflows.calls.parallel` runs any number of calls under a smaller cap.

Counting is deterministic: a call leaves the count when its result is delivered to
the workflow, which happens at the same point of every replay.
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`)

from __future__ import annotations

import hashlib
from typing import Any

from temporalio import worker, workflow
from temporalio.exceptions import ApplicationError

__all__ = [
    "INPUT_DIGEST_PATCH",
    "MAX_PENDING_CALLS",
    "TOO_MANY_PENDING_CALLS",
    "CallSchedulingInterceptor",
    "call_id",
]

INPUT_DIGEST_PATCH = "baas.call-ids-name-inputs"
MAX_PENDING_CALLS = 1000  # half of Temporal's default per-workflow limit
TOO_MANY_PENDING_CALLS = "too_many_pending_calls"


def call_id(sequence: int, activity: str, args: list[Any]) -> str:
    """``<sequence>.<digest>``: the digest covers the function's name and encoded input."""
    digest = hashlib.sha256(activity.encode())
    for payload in workflow.payload_converter().to_payloads(args):
        for key in sorted(payload.metadata):
            digest.update(key.encode() + b"\x00" + payload.metadata[key] + b"\x00")
        digest.update(payload.data)
    return f"{sequence}.{digest.hexdigest()[:16]}"


class CallSchedulingInterceptor(worker.Interceptor):
    """Gives every scheduled activity its input-bound id and bounds calls in flight."""

    def __init__(self, max_pending: int = MAX_PENDING_CALLS) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.max_pending = max_pending

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        max_pending = self.max_pending

        class _Inbound(worker.WorkflowInboundInterceptor):
            def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
                super().init(_Outbound(outbound, max_pending))

        return _Inbound


class _Outbound(worker.WorkflowOutboundInterceptor):
    """One per workflow instance (a replay builds a new one), so the counts start over."""

    def __init__(self, next: worker.WorkflowOutboundInterceptor, max_pending: int) -> None:
        super().__init__(next)
        self._max_pending = max_pending
        self._pending = 0
        self._scheduled = 0

    def start_activity(self, input: worker.StartActivityInput) -> workflow.ActivityHandle[Any]:
        if self._pending >= self._max_pending:
            raise ApplicationError(
                f"a workflow may have at most {self._max_pending} calls in flight; "
                "run many calls with parallel(..., limit=N)",
                type=TOO_MANY_PENDING_CALLS,
                non_retryable=True,
            )
        self._scheduled += 1
        if input.activity_id is None and workflow.patched(INPUT_DIGEST_PATCH):
            input.activity_id = call_id(self._scheduled, input.activity, list(input.args))
        handle = super().start_activity(input)
        self._pending += 1
        handle.add_done_callback(self._call_finished)
        return handle

    def _call_finished(self, _handle: object) -> None:
        self._pending -= 1
