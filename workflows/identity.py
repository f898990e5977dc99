"""Caller identity in Temporal headers: client → workflow → activity (→ child workflow).

:class:`CallerInterceptor` is the client side, in the manner of temporalio's
context-propagation sample: ``start_workflow`` and ``signal_workflow`` add a
``baas-caller`` header with the caller in effect (:func:`functions.identity.acting_as`),
signed for that workflow or signal (:mod:`workflows.caller_signatures`). The worker
side, which checks the header in workflows and activities and carries it on, is
:mod:`workflows.worker_identity`.

Only baas processes hold the signing key (derived from ``BAAS_SECRET_KEY``): whoever
else reaches Temporal can start a workflow, but not as anyone.
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`, `next`)

from __future__ import annotations

from typing import Any

from temporalio import client

from functions.identity import explicit_caller
from workflows.caller_signatures import CallerSigner, signal_scope, workflow_scope

__all__ = ["CallerInterceptor", "signer_of"]


class CallerInterceptor(client.Interceptor):
    """Adds the signed caller to the workflows a client starts and the signals it sends.

    Its worker side is :class:`workflows.worker_identity.CallerWorkerInterceptor`,
    which :func:`workflows.worker.create_worker` installs with the same signer (kept
    apart so that an API process, which only starts workflows, never imports the
    worker stack).
    """

    def __init__(self, signer: CallerSigner) -> None:
        self.signer = signer

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientOutbound(next, self.signer)


def signer_of(temporal: client.Client) -> CallerSigner | None:
    """The signer of the client's :class:`CallerInterceptor`, if it has one."""
    for interceptor in temporal.config()["interceptors"]:
        if isinstance(interceptor, CallerInterceptor):
            return interceptor.signer
    return None


class _ClientOutbound(client.OutboundInterceptor):
    def __init__(self, next: client.OutboundInterceptor, signer: CallerSigner) -> None:
        super().__init__(next)
        self._signer = signer

    async def start_workflow(
        self, input: client.StartWorkflowInput
    ) -> client.WorkflowHandle[Any, Any]:
        scope = workflow_scope(input.workflow, input.id)
        input.headers = self._signer.with_caller(input.headers, explicit_caller(), scope)
        return await super().start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        scope = signal_scope(input.id, input.signal)
        input.headers = self._signer.with_caller(input.headers, explicit_caller(), scope)
        await super().signal_workflow(input)
