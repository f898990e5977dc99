"""``InvokeFunctionWorkflow``: a single function call, run as a one-step workflow.

Clients never call a function directly: even a lone call goes through Temporal, so it
gets the same durability, retries, identity propagation, status and cancellation as
any composed workflow. The input and result pass through as raw payloads — this
workflow never decodes user data — and the function's own declaration (looked up by
name on the worker) supplies the timeout and retry policy.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from functions.activity import as_application_error
    from functions.errors import UnknownFunctionError
    from functions.registry import registry

__all__ = ["INVOKE_WORKFLOW", "InvokeFunctionWorkflow"]

INVOKE_WORKFLOW = "baas.InvokeFunction"


# Outside the sandbox: this is baas's own code, deterministic by construction (a
# registry lookup and one activity), and it is the hottest path: every single call.
# The sandbox's per-run setup cost ~25% of one-step throughput (bench/workflows.py).
@workflow.defn(name=INVOKE_WORKFLOW, sandboxed=False)
class InvokeFunctionWorkflow:
    """Runs the function named ``function`` on ``inp`` and returns its result."""

    @workflow.run
    async def run(self, function: str, inp: RawValue) -> RawValue:
        try:
            fn = registry.get_served(function)
        except UnknownFunctionError as exc:
            raise as_application_error(exc) from None
        result: RawValue = await workflow.execute_activity(
            fn.name,
            inp,
            start_to_close_timeout=fn.policy.activity_timeout,
            retry_policy=fn.policy.retry_policy(),
            result_type=RawValue,
            summary=fn.name,
        )
        return result
