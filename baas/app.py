"""``create_app(settings)``: the whole HTTP surface, assembled in one declarative call."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from baas.application import App
from baas.config import Settings
from baas.health import Probe, health_endpoint
from baas.http_errors import exception_handlers
from baas.request_ids import RequestIdMiddleware
from baas.temporal_client import TemporalConnection

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    *,
    app: App | None = None,
    temporal: TemporalConnection | None = None,
) -> Starlette:
    """The ASGI application for ``settings``.

    ``temporal`` may be passed in by a process that already holds a connection (``baas
    dev``); otherwise one is made lazily, so the API starts even while Temporal is down.
    """
    connection = temporal or TemporalConnection(
        settings.temporal_target, settings.temporal_namespace
    )
    probes: dict[str, Probe] = {"temporal": connection.check}

    async def index(_request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "service": "baas",
                "app": app.name if app else None,
                "health": "/healthz",
            }
        )

    @contextlib.asynccontextmanager
    async def lifespan(_starlette: Starlette) -> AsyncIterator[dict[str, object]]:
        yield {"settings": settings, "temporal": connection, "app": app}

    return Starlette(
        debug=False,  # tracebacks never reach a client, not even in dev
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/healthz", health_endpoint(probes), methods=["GET"]),
        ],
        middleware=[Middleware(RequestIdMiddleware)],
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
