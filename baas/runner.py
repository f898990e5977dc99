"""``baas serve``: the API process (GraphQL, auth, DynamoDB, health) under uvicorn.

It owns its signals: SIGINT or SIGTERM stops the servers, then the services, so every
port is released. The worker is another process (:mod:`baas.worker`); ``baas dev``
supervises one of each (:mod:`baas.dev`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from auth.access_keys import AccessKeyRepository
from baas.app import create_app
from baas.config import Settings
from baas.connection_limits import ClientConnections, ConnectionLimits, guarded_http_protocol
from baas.dynamodb import Account, DynamoDBServer, dynamodb_server
from baas.graphql import GraphQLLimits
from baas.lifecycle import load_configured_app, serve_until_stopped, settle_heap
from baas.ports import require_free_ports
from baas.services import Services
from baas.signals import StopRequested
from baas.supervision import report_app_loaded

__all__ = ["run_serve"]


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the process decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def shutdown_gracefully(self, serving: asyncio.Task[None], *, force: bool) -> None:
        """Stop (``force``: without waiting for requests in progress)."""
        self.should_exit = True
        self.force_exit = force
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await serving


class _OwnPortServer:
    """The DynamoDB server, stopped the way the API server is."""

    def __init__(self, server: DynamoDBServer) -> None:
        self.server = server

    async def serve(self) -> None:
        await self.server.serve()

    async def shutdown_gracefully(self, serving: asyncio.Task[None], *, force: bool) -> None:
        await self.server.shutdown(force=force)
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await serving


def _api_server(
    settings: Settings, services: Services, connections: ClientConnections
) -> _ApiServer:
    asgi = create_app(settings, services=services)
    return _uvicorn(asgi, settings.host, settings.port, connections=connections)


def _connections(settings: Settings) -> ClientConnections:
    """The process's connection limits, shared by its ports (one cap per client address)."""
    return ClientConnections(
        ConnectionLimits(
            header_timeout=settings.http_header_timeout,
            max_per_client=settings.http_max_connections_per_client,
            exempt=settings.auth.trusted_proxies,
        )
    )


def _dynamodb_servers(
    settings: Settings, services: Services, connections: ClientConnections
) -> list[_OwnPortServer]:
    """The DynamoDB endpoint on its own port, when BAAS_DYNAMODB_PORT asks for it."""
    if settings.dynamodb_port is None:
        return []
    server = dynamodb_server(
        lambda: services.store,
        settings.host,
        settings.dynamodb_port,
        AccessKeyRepository(lambda: services.store, services.secret_keys),
        account=Account(settings.dynamodb_region),
        metrics=services.metrics,
        connections=connections,
    )
    return [_OwnPortServer(server)]


def _uvicorn(asgi: ASGIApp, host: str, port: int, *, connections: ClientConnections) -> _ApiServer:
    config = uvicorn.Config(
        asgi,
        host=host,
        port=port,
        # httptools, with a deadline for request heads and a cap per client address.
        http=guarded_http_protocol(connections),
        log_config=None,
        access_log=False,
        # Forwarded headers are trusted only where auth's throttling says so.
        proxy_headers=False,
        server_header=False,
        lifespan="on",
        # GraphQL's WebSocket messages, capped before uvicorn buffers them (default 16 MiB).
        ws_max_size=GraphQLLimits().max_body_bytes,
    )
    return _ApiServer(config)


async def run_serve(settings: Settings, *, app_loaded_fd: int | None = None) -> int:
    """The API, against a configured Temporal (scale out: run many behind a balancer).

    The Temporal connection is lazy: the API starts, and answers ``/healthz`` with 503,
    while Temporal is still unreachable. ``app_loaded_fd`` (from ``baas dev``) is told
    once the app has loaded.
    """
    settings.check_serving()
    ports = [(settings.host, settings.port, "BAAS_PORT")]
    if settings.dynamodb_port is not None:
        ports.append((settings.host, settings.dynamodb_port, "BAAS_DYNAMODB_PORT"))
    require_free_ports(ports)
    app = load_configured_app(settings)
    if app_loaded_fd is not None:
        report_app_loaded(app_loaded_fd)
    stop = StopRequested()
    stop.install()
    services = Services(settings, app=app)
    await services.start()
    connections = _connections(settings)
    servers: list[_ApiServer | _OwnPortServer] = [
        _api_server(settings, services, connections),
        *_dynamodb_servers(settings, services, connections),
    ]
    tasks = [asyncio.create_task(server.serve(), name="api") for server in servers]
    # After the first requests could be served: a collection is ~0.1 s of start-up.
    asyncio.get_running_loop().call_later(1.0, settle_heap)
    try:
        await serve_until_stopped(stop, *tasks)
    finally:
        for server, task in zip(servers, tasks, strict=True):
            await server.shutdown_gracefully(task, force=stop.forced)
        await services.stop()
    return 0
