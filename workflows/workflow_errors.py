"""A workflow whose own code raises fails its call, instead of retrying its task for ever.

Temporal treats an exception that is not a Temporal failure, raised by workflow code,
as a bug to be fixed by a deploy: the workflow *task* fails and is retried
indefinitely while the call shows RUNNING, and the caller waits without an answer.
baas fails the call instead, with code ``workflow_error`` and a message naming only
the exception's type; the traceback goes to the worker's log (threat: leaking
internals to the caller). This covers the workflow's run and its signal handlers, and
a sandbox violation (``datetime.now()`` in workflow code, see FACTS.md) too.

It is an interceptor rather than the worker's ``workflow_failure_exception_types``
because it must behave the same when a history is replayed (:mod:`workflows.replay`),
where a listed type would also swallow the nondeterminism the replay exists to find.
"""

# ruff: noqa: A002 - overrides keep the SDK's parameter names (`input`)

from __future__ import annotations

from typing import Any

from temporalio import worker, workflow
from temporalio.exceptions import ApplicationError, FailureError

__all__ = ["WORKFLOW_ERROR", "WorkflowErrorInterceptor"]

WORKFLOW_ERROR = "workflow_error"


class WorkflowErrorInterceptor(worker.Interceptor):
    """Turns unexpected exceptions of workflow code into a failed call."""

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor]:
        return _Inbound


class _Inbound(worker.WorkflowInboundInterceptor):
    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        try:
            return await super().execute_workflow(input)
        except FailureError:
            raise  # deliberate: a function's or workflow's own failure, already coded
        except Exception as exc:  # noqa: BLE001 - any bug: see the module docstring
            raise _as_failure(exc) from None

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        try:
            await super().handle_signal(input)
        except FailureError:
            raise
        except Exception as exc:  # noqa: BLE001 - any bug: see the module docstring
            raise _as_failure(exc) from None


def _as_failure(exc: Exception) -> ApplicationError:
    workflow.logger.error("workflow code raised %s", type(exc).__name__, exc_info=exc)
    return ApplicationError(
        f"the workflow raised {type(exc).__name__}; see the worker log",
        type=WORKFLOW_ERROR,
        non_retryable=True,
    )
