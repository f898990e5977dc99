"""The Temporal worker: runs the application's functions, workflows and activities."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from baas.application import App
from baas.config import Settings
from functions import FunctionRuntime
from workflows import create_worker
from workflows.ping import PingWorkflow

__all__ = ["build_worker"]


def build_worker(
    client: Client, settings: Settings, app: App | None, runtime: FunctionRuntime | None = None
) -> Worker:
    """A worker on the configured task queue for everything ``app`` declares.

    ``runtime`` gives functions their store factory, secrets and mail sender; without
    one a function that touches ``ctx.store`` or ``ctx.mail`` fails with
    ``not_configured`` (until ``auth`` provides the caller-scoped store). The app's
    schedules are synced with Temporal when the worker starts running.
    """
    return create_worker(
        client,
        task_queue=settings.task_queue,
        workflows=[PingWorkflow, *(app.workflows if app else [])],
        functions=app.functions if app else [],
        activities=list(app.activities) if app else [],
        runtime=runtime,
        schedules=app.schedules if app else None,
        app_name=app.name if app else "app",
    )
