"""``baas worker``: the Temporal worker running the app's functions and workflows.

It also follows the change feed for the app's triggers. It owns its signals: SIGINT
or SIGTERM stops the trigger followers, then the worker (letting running activities
finish), then the store.

Temporal unreachable is momentary, never a reason to exit: the worker waits for it
(with backoff) at start-up and whenever it is lost; polling and the trigger followers
ride out an outage by themselves. It exits on a stop signal or a configuration error.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import sys
from importlib.metadata import version
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from baas.application import App
from baas.config import Settings
from baas.errors import StartupError
from baas.function_runtime import function_runtime
from baas.lifecycle import cancel_tasks, load_configured_app, serve_until_stopped, settle_heap
from baas.secret_key import load_secret_key
from baas.services import Services
from baas.signals import StopRequested
from functions import FunctionRuntime
from workflows.availability import Backoff, is_unreachable
from workflows.caller_signatures import CallerSigner
from workflows.clients import configure_client
from workflows.ping import PingWorkflow
from workflows.triggers import StoreCheckpoints, TriggerRunner
from workflows.worker import create_worker

__all__ = ["build_id", "build_worker", "run_worker", "start_triggers"]

_log = logging.getLogger("baas")


def build_worker(
    client: Client,
    settings: Settings,
    app: App | None,
    runtime: FunctionRuntime | None = None,
    *,
    schedules: bool = True,
) -> Worker:
    """A worker on the configured task queue for everything ``app`` declares.

    ``runtime`` gives functions their store factory, secrets and mail sender; without
    one a function that touches ``ctx.store`` or ``ctx.mail`` fails with
    ``not_configured`` (until ``auth`` provides the caller-scoped store). The app's
    schedules are synced with Temporal when the worker starts running (unless
    ``schedules`` is False). Callers are checked with the key of ``settings``
    (``BAAS_SECRET_KEY``), which the worker's client then signs with too.
    """
    signer = CallerSigner.from_secret_keys(load_secret_key(settings).keys)
    return create_worker(
        configure_client(client, signer),
        task_queue=settings.task_queue,
        workflows=[PingWorkflow, *(app.workflows if app else [])],
        functions=app.functions if app else [],
        activities=list(app.activities) if app else [],
        runtime=runtime,
        schedules=app.schedules if app and schedules else None,
        app_name=app.name if app else "app",
        build_id=build_id(settings.app),
    )


def build_id(app_ref: str | None) -> str:
    """Names this worker's code: the versions of baas and the SDK, and the app's sources.

    The SDK's default hashes the bytecode of every loaded module (~0.3-0.5 s of start-up
    here); the app's own files are what changes between two deployments of a worker.
    """
    digest = hashlib.sha256(f"baas {version('baas')} temporalio {version('temporalio')}".encode())
    for path in _app_sources(app_ref):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"baas-{digest.hexdigest()[:20]}"


def _app_sources(app_ref: str | None) -> list[Path]:
    """The source files of the loaded modules of the app's top-level package."""
    if not app_ref:
        return []
    top = app_ref.partition(":")[0].split(".")[0]
    files: set[Path] = set()
    for name, module in list(sys.modules.items()):
        source = getattr(module, "__file__", None)
        if (name == top or name.startswith(f"{top}.")) and source and source.endswith(".py"):
            files.add(Path(source))
    return sorted(files)


def start_triggers(
    client: Client, services: Services, settings: Settings, app: App | None
) -> list[asyncio.Task[None]]:
    """Follow the change feed for the app's triggers (none declared: nothing runs).

    Every worker process runs a follower; the workflow id derived from each change
    record makes the extra starts no-ops (see workflows.triggers).
    """
    if app is None or not app.triggers:
        return []
    runner = TriggerRunner(
        # Started as the system, signed with the key of these services.
        configure_client(client, CallerSigner.from_secret_keys(services.secret_keys)),
        services.store,
        app.triggers,
        StoreCheckpoints(services.store),
        app_name=app.name,
        task_queue=settings.task_queue,
    )
    return [asyncio.create_task(runner.run(), name="triggers")]


async def run_worker(settings: Settings) -> int:
    """The Temporal worker (scale out: run many on the same task queue)."""
    settings.check_serving()
    app = load_configured_app(settings)
    stop = StopRequested()
    stop.install()
    # Functions read and write the store, so a worker opens it like an API process does.
    services = Services(settings, app=app)
    connection = services.temporal
    await services.start()
    runtime = function_runtime(services)
    backoff = Backoff(initial=0.5, maximum=10.0)
    try:
        # Until a stop signal: Temporal lost at start-up (schedule sync) is waited out.
        while (client := await connection.connect(stop.event)) is not None:
            worker = build_worker(client, settings, app, runtime)
            worker_task = asyncio.create_task(worker.run(), name="worker")
            triggers = start_triggers(client, services, settings, app)
            settle_heap()
            _log.info("worker polling task queue %r on %s", settings.task_queue, connection.target)
            try:
                await serve_until_stopped(stop, worker_task, *triggers)
                break
            except StartupError as exc:
                if exc.__cause__ is None or not is_unreachable(exc.__cause__):
                    raise
            finally:
                await cancel_tasks(triggers)
                await _stop_worker(worker, worker_task)
            delay = backoff.next_delay()
            _log.warning(
                "lost Temporal at %s; the worker restarts in %.1f s", connection.target, delay
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.event.wait(), delay)
    finally:
        await services.stop()
    return 0


async def _stop_worker(worker: Worker, task: asyncio.Task[None]) -> None:
    if not task.done():
        await worker.shutdown()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await task
