"""The worker side of caller propagation (the client side is :mod:`workflows.identity`).

* workflow inbound: ``execute_workflow`` reads the ``baas-caller`` header into the
  ContextVar, so the workflow and every task it spawns act for that caller; a signal
  handler sees *its* sender;
* workflow outbound: activities, local activities, child workflows and continue-as-new
  carry the header on;
* activity inbound: ``execute_activity`` reads it into the ContextVar, where the
  function runtime builds ``ctx.caller`` from it.
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`, `next`)

from __future__ import annotations

from typing import Any, NoReturn

from temporalio import worker, workflow

from functions.identity import set_caller
from workflows.identity import read_caller, with_caller

__all__ = ["CallerWorkerInterceptor"]


class CallerWorkerInterceptor(worker.Interceptor):
    """Reads the caller from headers in workflows and activities and carries it on."""

    def intercept_activity(
        self, next: worker.ActivityInboundInterceptor
    ) -> worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        return _WorkflowInbound


class _ActivityInbound(worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        set_caller(read_caller(input.headers))
        return await super().execute_activity(input)


class _WorkflowInbound(worker.WorkflowInboundInterceptor):
    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        set_caller(read_caller(input.headers))
        return await super().execute_workflow(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        # Each signal runs in its own task, so this names the signal's sender for its
        # handler without changing who the workflow acts for.
        set_caller(read_caller(input.headers))
        await super().handle_signal(input)


class _WorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def start_activity(self, input: worker.StartActivityInput) -> workflow.ActivityHandle[Any]:
        input.headers = with_caller(input.headers)
        return super().start_activity(input)

    def start_local_activity(
        self, input: worker.StartLocalActivityInput
    ) -> workflow.ActivityHandle[Any]:
        input.headers = with_caller(input.headers)
        return super().start_local_activity(input)

    async def start_child_workflow(
        self, input: worker.StartChildWorkflowInput
    ) -> workflow.ChildWorkflowHandle[Any, Any]:
        input.headers = with_caller(input.headers)
        return await super().start_child_workflow(input)

    def continue_as_new(self, input: worker.ContinueAsNewInput) -> NoReturn:
        input.headers = with_caller(input.headers)
        super().continue_as_new(input)
