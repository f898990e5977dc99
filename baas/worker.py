"""The Temporal worker: runs the application's workflows and activities."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError

from baas.application import App
from baas.config import Settings
from workflows.ping import PingWorkflow

__all__ = ["build_worker"]


def build_worker(client: Client, settings: Settings, app: App | None) -> Worker:
    """A worker on the configured task queue for everything ``app`` declares."""
    workflows: list[type] = [PingWorkflow, *(app.workflows if app else [])]
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=workflows,
        activities=list(app.activities) if app else [],
        # A non-deterministic call inside a workflow would otherwise retry the task
        # forever and hang its caller (FACTS.md); fail the workflow instead.
        workflow_failure_exception_types=[RestrictedWorkflowAccessError],
    )
