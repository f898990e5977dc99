"""A Temporal worker for functions and workflows, configured the baas way.

:func:`create_worker` is what ``baas worker`` (through ``baas/worker.py``) and the
test fixtures use, so both run with the same settings:

* each function becomes an activity named after it (``functions.as_activity``), whose
  calls run in the worker's pool of function processes (``functions/pool.py``), started
  with the worker and stopped with it;
* ``InvokeFunctionWorkflow`` is always registered, so any function can be called alone;
* the caller interceptor and baas's data converter are on the client, and the caller's
  worker side (:class:`~workflows.worker_identity.CallerWorkerInterceptor`) on the worker;
* the baas packages are passed through the workflow sandbox: they are free of side
  effects, the function registry must be the one the worker filled, and re-importing
  them on every workflow run is slow;
* a workflow's result above the payload limit fails its call with ``payload_too_large``
  (:mod:`workflows.result_limit`), as a function's does;
* a workflow task that cannot make progress fails its call with a clear code instead of
  being retried for ever while the call shows RUNNING: any exception raised by workflow
  code (``workflow_error``; a non-deterministic call such as ``datetime.now()`` in the
  sandbox is one, see FACTS.md), a history the code no longer replays
  (``nondeterministic``), one call too many in flight (``too_many_pending_calls``);
* every call's activity id names its input (:mod:`workflows.scheduling`), so a deploy
  that reorders or changes calls is caught on replay;
* with ``schedules``, the app's Temporal Schedules are synced when the worker starts
  running (every worker start-up, so a deploy brings them in line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Interceptor, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.workflow import NondeterminismError

from functions.activity import as_activity
from functions.definition import Function
from functions.pool import FunctionPool
from functions.registry import registry
from functions.services import FunctionRuntime
from workflows.caller_signatures import CallerSigner
from workflows.clients import configure_client
from workflows.identity import signer_of
from workflows.invoke import InvokeFunctionWorkflow
from workflows.result_limit import ResultLimitInterceptor
from workflows.schedules import ScheduleBinding, sync_schedules
from workflows.scheduling import MAX_PENDING_CALLS, CallSchedulingInterceptor
from workflows.worker_identity import CallerWorkerInterceptor
from workflows.workflow_errors import WorkflowErrorInterceptor

__all__ = [
    "FAILURE_EXCEPTION_TYPES",
    "PASSTHROUGH_MODULES",
    "BaasWorker",
    "create_worker",
    "workflow_interceptors",
    "workflow_runner",
]

PASSTHROUGH_MODULES = ("baas", "functions", "workflows", "auth", "storage", "pydantic", "httpx")


# A history the code no longer replays fails the call, not just its task: a retried task
# would never make progress. (What workflow code raises: workflows.workflow_errors.)
FAILURE_EXCEPTION_TYPES: Sequence[type[BaseException]] = (NondeterminismError,)


def workflow_interceptors(
    signer: CallerSigner,
    *,
    max_payload_bytes: int,
    max_pending_calls: int = MAX_PENDING_CALLS,
) -> list[Interceptor]:
    """What every worker (and the Replayer, to replay faithfully) runs workflows with.

    ``signer`` checks the callers of workflows and activities: the key of the clients
    that start them.
    """
    return [
        CallerWorkerInterceptor(signer),
        WorkflowErrorInterceptor(),
        CallSchedulingInterceptor(max_pending_calls),
        ResultLimitInterceptor(max_payload_bytes),
    ]


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox with baas's packages passed through (also used by the Replayer)."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    return SandboxedWorkflowRunner(restrictions=restrictions)


class BaasWorker(Worker):
    """A Temporal worker with its pool of function processes, syncing its app's schedules
    before it starts polling."""

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str,
        schedules: Sequence[ScheduleBinding] | None,
        app_name: str,
        pool: FunctionPool | None = None,
        **options: Any,
    ) -> None:
        super().__init__(client, task_queue=task_queue, **options)
        self._schedule_client = client
        self._schedules = schedules
        self._app_name = app_name
        self._schedule_task_queue = task_queue
        self.pool = pool

    async def run(self) -> None:
        if self.pool is not None:
            await self.pool.start()
        try:
            if self._schedules is not None:
                await sync_schedules(
                    self._schedule_client,
                    self._schedules,
                    app_name=self._app_name,
                    task_queue=self._schedule_task_queue,
                )
            await super().run()
        finally:
            if self.pool is not None:
                await self.pool.stop()


def create_worker(
    client: Client,
    *,
    task_queue: str,
    workflows: Sequence[type] = (),
    functions: Iterable[Function[Any, Any]] = (),
    runtime: FunctionRuntime | None = None,
    activities: Sequence[Callable[..., Any]] = (),
    schedules: Sequence[ScheduleBinding] | None = None,
    app_name: str = "app",
    max_pending_calls: int = MAX_PENDING_CALLS,
    **worker_options: Any,
) -> BaasWorker:
    """A worker on ``task_queue`` running ``workflows`` and ``functions``.

    ``runtime`` supplies what functions get through their Context (store factory,
    secrets, mail); ``activities`` are plain Temporal activities, for code that is not
    a baas function. ``schedules`` (None: leave schedules alone) are synced for
    ``app_name`` when the worker starts. A workflow may have at most
    ``max_pending_calls`` calls in flight (keep it under the Temporal cluster's
    per-workflow limit of pending activities). Other keyword arguments go to
    ``temporalio.worker.Worker``.
    """
    runtime = runtime or FunctionRuntime()
    by_name = {fn.name: fn for fn in functions}
    for fn in by_name.values():
        registry.serve(fn)
    all_workflows = [
        InvokeFunctionWorkflow,
        *(w for w in workflows if w is not InvokeFunctionWorkflow),
    ]
    client = configure_client(client)
    signer = signer_of(client)
    assert signer is not None  # noqa: S101 - configure_client refuses a client without one
    pool = (
        FunctionPool(
            by_name.values(),
            runtime,
            converter=client.data_converter.payload_converter_class,
        )
        if runtime.pool.isolated and by_name
        else None
    )
    interceptors = [
        *workflow_interceptors(
            signer,
            max_payload_bytes=runtime.max_payload_bytes,
            max_pending_calls=max_pending_calls,
        ),
        *worker_options.pop("interceptors", ()),
    ]
    return BaasWorker(
        client,
        task_queue=task_queue,
        schedules=schedules,
        app_name=app_name,
        pool=pool,
        workflows=all_workflows,
        activities=[*(as_activity(fn, runtime, pool) for fn in by_name.values()), *activities],
        workflow_runner=workflow_runner(),
        workflow_failure_exception_types=FAILURE_EXCEPTION_TYPES,
        interceptors=interceptors,
        **worker_options,
    )
