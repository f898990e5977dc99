"""The worker side of caller propagation (the client side is :mod:`workflows.identity`).

* workflow inbound: ``execute_workflow`` checks the ``baas-caller`` header (signature
  and scope, :mod:`workflows.caller_signatures`) and puts the caller in the ContextVar,
  so the workflow and every task it spawns act for it; a header that does not check
  out fails the run with ``invalid_caller`` before any workflow code runs. A signal
  handler sees *its* sender; a signal whose header does not check out is dropped;
* workflow outbound: activities, local activities, child workflows and continue-as-new
  carry the caller on, signed afresh for each of them;
* activity inbound: ``execute_activity`` checks the header the same way, and the
  function runtime builds ``ctx.caller`` from the ContextVar.

Histories recorded before callers were signed still replay: the check is behind
``workflow.patched``, so a run started by an earlier version keeps reading its unsigned
header, while every new run is checked. An *activity* of such a run that was scheduled
before the upgrade and retries after it is refused (its header is unsigned).
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`, `next`)

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from temporalio import activity, worker, workflow

from functions.identity import Caller, explicit_caller, set_caller
from workflows.caller_signatures import (
    CallerClaim,
    CallerSigner,
    InvalidCallerError,
    activity_scope,
    arguments_digest,
    schedule_scope,
    signal_scope,
    workflow_scope,
)

__all__ = ["SIGNED_CALLERS_PATCH", "CallerWorkerInterceptor"]

SIGNED_CALLERS_PATCH = "baas-signed-callers"


class CallerWorkerInterceptor(worker.Interceptor):
    """Checks the caller in workflows and activities and carries it on, signed."""

    def __init__(self, signer: CallerSigner) -> None:
        self.signer = signer

    def intercept_activity(
        self, next: worker.ActivityInboundInterceptor
    ) -> worker.ActivityInboundInterceptor:
        return _ActivityInbound(next, self.signer)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        # A class per signer: the SDK builds the interceptor inside the workflow.
        return type("_SignedWorkflowInbound", (_WorkflowInbound,), {"signer": self.signer})


class _ActivityInbound(worker.ActivityInboundInterceptor):
    def __init__(self, next: worker.ActivityInboundInterceptor, signer: CallerSigner) -> None:
        super().__init__(next)
        self._signer = signer

    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        claim = self._signer.read(input.headers)
        caller = None
        if claim is not None:
            info = activity.info()
            scope = activity_scope(info.workflow_id or "", info.activity_type)
            caller = self._signer.verify(claim, scope)
        set_caller(caller)
        return await super().execute_activity(input)


class _WorkflowInbound(worker.WorkflowInboundInterceptor):
    signer: ClassVar[CallerSigner]

    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound, self.signer))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        claim = self.signer.read(input.headers)
        caller = None if claim is None else self._checked(claim, input.args)
        set_caller(caller)
        return await super().execute_workflow(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        # Each signal runs in its own task, so this names the signal's sender for its
        # handler without changing who the workflow acts for.
        try:
            claim = self.signer.read(input.headers)
            caller = None
            if claim is not None and _checks_signatures():
                scope = signal_scope(workflow.info().workflow_id, input.signal)
                caller = self.signer.verify(claim, scope)
            elif claim is not None:
                caller = claim.caller  # a run started before callers were signed
        except InvalidCallerError:
            workflow.logger.warning("dropped signal %s: its caller is not proven", input.signal)
            return
        set_caller(caller)
        await super().handle_signal(input)

    def _checked(self, claim: CallerClaim, args: Any) -> Caller:
        if not _checks_signatures():
            return claim.caller  # a run started before callers were signed
        info = workflow.info()
        if claim.scope is not None and claim.scope.startswith("schedule:"):
            schedule_id = claim.scope.rsplit(":", 2)[1]
            # A schedule names its runs "<schedule id>-<time>": any other id is no run of
            # it. The arguments are the declared ones (in the signed scope): whoever
            # reads the header from Temporal can at most run the schedule once more.
            if not info.workflow_id.startswith(f"{schedule_id}-"):
                raise InvalidCallerError("not a run of its schedule")
            digest = arguments_digest(workflow.payload_converter(), list(args))
            scope = schedule_scope(info.workflow_type, schedule_id, digest)
            return self.signer.verify(claim, scope)
        return self.signer.verify(claim, workflow_scope(info.workflow_type, info.workflow_id))


def _checks_signatures() -> bool:
    """True on every run started since callers are signed (see the module docstring)."""
    return workflow.patched(SIGNED_CALLERS_PATCH)


class _WorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def __init__(self, next: worker.WorkflowOutboundInterceptor, signer: CallerSigner) -> None:
        super().__init__(next)
        self._signer = signer

    def _signed(self, headers: Any, scope: str) -> Any:
        return self._signer.with_caller(headers, explicit_caller(), scope)

    def start_activity(self, input: worker.StartActivityInput) -> workflow.ActivityHandle[Any]:
        scope = activity_scope(workflow.info().workflow_id, input.activity)
        input.headers = self._signed(input.headers, scope)
        return super().start_activity(input)

    def start_local_activity(
        self, input: worker.StartLocalActivityInput
    ) -> workflow.ActivityHandle[Any]:
        scope = activity_scope(workflow.info().workflow_id, input.activity)
        input.headers = self._signed(input.headers, scope)
        return super().start_local_activity(input)

    async def start_child_workflow(
        self, input: worker.StartChildWorkflowInput
    ) -> workflow.ChildWorkflowHandle[Any, Any]:
        input.headers = self._signed(input.headers, workflow_scope(input.workflow, input.id))
        return await super().start_child_workflow(input)

    def continue_as_new(self, input: worker.ContinueAsNewInput) -> NoReturn:
        info = workflow.info()
        scope = workflow_scope(input.workflow or info.workflow_type, info.workflow_id)
        input.headers = self._signed(input.headers, scope)
        super().continue_as_new(input)
