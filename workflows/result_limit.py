"""A workflow result above the payload limit fails its call with ``payload_too_large``.

A function's result is checked where it is encoded (:mod:`functions.activity`). A
workflow's result is encoded by the SDK after ``run`` returns, so this worker
interceptor checks it first: the call fails with a clear, non-retryable error that the
API relays, instead of Temporal failing the workflow task (results above 2 MB) or every
reader of the history carrying a huge result. Encoding is deterministic, so a replay
reaches the same verdict.
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`, `next`)

from __future__ import annotations

from typing import Any

from temporalio import worker, workflow
from temporalio.exceptions import ApplicationError

from functions.errors import PayloadTooLargeError
from functions.payloads import check_payload_size

__all__ = ["ResultLimitInterceptor"]


class ResultLimitInterceptor(worker.Interceptor):
    """Refuses workflow results above ``limit`` bytes, measured encoded."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        limit = self.limit

        class _ResultLimit(worker.WorkflowInboundInterceptor):
            async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
                result = await super().execute_workflow(input)
                [payload] = workflow.payload_converter().to_payloads([result])
                try:
                    check_payload_size(
                        payload, limit, f"the result of {workflow.info().workflow_type!r}"
                    )
                except PayloadTooLargeError as exc:
                    raise ApplicationError(exc.message, type=exc.code, non_retryable=True) from None
                return result

        return _ResultLimit
