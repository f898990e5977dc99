"""The long-running commands: the API, the worker, or both in one process.

``baas serve`` runs the API, ``baas worker`` the Temporal worker, and the stack (what
``baas dev`` supervises and restarts on code changes, see :mod:`baas.dev`) runs both on
one event loop. Each owns its signals: SIGINT or SIGTERM stops the parts in reverse
order of their start, so every port is released.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp
from temporalio.client import Client
from temporalio.worker import Worker

from baas.app import create_app
from baas.application import App, load_app
from baas.config import Settings
from baas.dynamodb import Account, dynamodb_app
from baas.errors import StartupError
from baas.function_runtime import function_runtime
from baas.ports import require_free_ports
from baas.services import Services
from baas.signals import StopRequested
from baas.temporal_client import TemporalConnection
from baas.worker import build_worker
from workflows.triggers import StoreCheckpoints, TriggerRunner

__all__ = ["run_serve", "run_stack", "run_worker", "start_triggers"]

_log = logging.getLogger("baas")


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the supervisor decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _load(settings: Settings) -> App | None:
    return load_app(settings.app) if settings.app else None


def _api_server(settings: Settings, services: Services) -> _ApiServer:
    return _uvicorn(create_app(settings, services=services), settings.host, settings.port)


def _dynamodb_servers(settings: Settings, services: Services) -> list[_ApiServer]:
    """The DynamoDB endpoint on its own port, when BAAS_DYNAMODB_PORT asks for it."""
    if settings.dynamodb_port is None:
        return []
    endpoint = dynamodb_app(lambda: services.store, account=Account(settings.dynamodb_region))
    return [_uvicorn(endpoint, settings.host, settings.dynamodb_port)]


def _uvicorn(asgi: ASGIApp, host: str, port: int) -> _ApiServer:
    config = uvicorn.Config(
        asgi,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        # Forwarded headers are trusted only where auth's throttling says so.
        proxy_headers=False,
        server_header=False,
        lifespan="on",
    )
    return _ApiServer(config)


async def _serve_until_stopped(stop: StopRequested, *tasks: asyncio.Task[None]) -> None:
    """Wait for a stop signal or for any part to end (which is then an error)."""
    waiter = asyncio.ensure_future(stop.event.wait())
    done, _pending = await asyncio.wait({waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for task in tasks:
        if task in done and task.exception() is not None:
            raise StartupError(f"a part of baas stopped unexpectedly: {task.exception()}")


async def run_stack(settings: Settings) -> int:
    """The API and the worker in one process (what ``baas dev`` runs and reloads)."""
    app = _load(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stop = StopRequested()
    stop.install()

    async with contextlib.AsyncExitStack() as stack:
        # The API first: it needs no ready Temporal (its connection is lazy), and the
        # worker's start (workflow sandbox validation) then overlaps serving.
        connection = TemporalConnection(settings.temporal_target, settings.temporal_namespace)
        services = Services(settings, app=app, temporal=connection)
        await services.start()
        stack.push_async_callback(services.stop)
        server = _api_server(settings, services)
        server_task = asyncio.create_task(server.serve(), name="api")
        stack.push_async_callback(_stop_server, server, server_task, stop)
        while not server.started:
            if server_task.done():
                raise StartupError(f"the API could not start on {settings.host}:{settings.port}")
            await asyncio.sleep(0.01)
        extra_tasks = []
        for extra in _dynamodb_servers(settings, services):
            extra_task = asyncio.create_task(extra.serve(), name="dynamodb")
            stack.push_async_callback(_stop_server, extra, extra_task, stop)
            extra_tasks.append(extra_task)

        client = await connection.connect()
        worker = build_worker(client, settings, app, function_runtime(services))
        worker_task = asyncio.create_task(worker.run(), name="worker")
        stack.push_async_callback(_stop_worker, worker, worker_task)
        triggers = start_triggers(client, services, settings, app)
        stack.push_async_callback(_cancel, triggers)
        _settle_heap()
        await _serve_until_stopped(stop, worker_task, server_task, *extra_tasks, *triggers)
        _log.info("stopping")
    return 0


async def run_serve(settings: Settings) -> int:
    """The API alone, against a configured Temporal (scale out: run many behind a balancer)."""
    ports = [(settings.host, settings.port, "BAAS_PORT")]
    if settings.dynamodb_port is not None:
        ports.append((settings.host, settings.dynamodb_port, "BAAS_DYNAMODB_PORT"))
    require_free_ports(ports)
    app = _load(settings)
    stop = StopRequested()
    stop.install()
    services = Services(settings, app=app)
    await services.start()
    servers = [_api_server(settings, services), *_dynamodb_servers(settings, services)]
    tasks = [asyncio.create_task(server.serve(), name="api") for server in servers]
    _settle_heap()
    try:
        await _serve_until_stopped(stop, *tasks)
    finally:
        for server, task in zip(servers, tasks, strict=True):
            await _stop_server(server, task, stop)
        await services.stop()
    return 0


async def run_worker(settings: Settings) -> int:
    """The Temporal worker alone (scale out: run many on the same task queue)."""
    app = _load(settings)
    stop = StopRequested()
    stop.install()
    connection = TemporalConnection(settings.temporal_target, settings.temporal_namespace)
    # Functions read and write the store, so a worker opens it like an API process does.
    services = Services(settings, app=app, temporal=connection)
    await services.start()
    client = await connection.connect()
    worker = build_worker(client, settings, app, function_runtime(services))
    worker_task = asyncio.create_task(worker.run(), name="worker")
    triggers = start_triggers(client, services, settings, app)
    _log.info("worker polling task queue %r on %s", settings.task_queue, settings.temporal_target)
    try:
        await _serve_until_stopped(stop, worker_task, *triggers)
    finally:
        await _cancel(triggers)
        await _stop_worker(worker, worker_task)
        await services.stop()
    return 0


def _settle_heap() -> None:
    """Move everything loaded at start-up (modules, the schema) out of the GC's way.

    The collector then scans only what requests allocate: measured +5-10% GraphQL
    throughput (bench/graphql.py) for objects that live as long as the process anyway.
    """
    gc.collect()
    gc.freeze()


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
        client,
        services.store,
        app.triggers,
        StoreCheckpoints(services.store),
        app_name=app.name,
        task_queue=settings.task_queue,
    )
    return [asyncio.create_task(runner.run(), name="triggers")]


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def _stop_server(server: _ApiServer, task: asyncio.Task[None], stop: StopRequested) -> None:
    server.should_exit = True
    server.force_exit = stop.forced
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await task


async def _stop_worker(worker: Worker, task: asyncio.Task[None]) -> None:
    if not task.done():
        await worker.shutdown()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await task
