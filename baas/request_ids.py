"""Request ids: every HTTP request and WebSocket gets one.

A well-formed ``X-Request-Id`` from the client (or a proxy) is kept, anything else is
replaced by a fresh id. The id is echoed in the response header, attached to every log
line written while the request runs, and quoted in masked 500 errors, so an operator
can find the detail a client was not shown. The same middleware feeds the process's
:class:`~baas.metrics.HttpMetrics`, since it already knows each request's status and
duration.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from baas.logs import request_id_var
from baas.metrics import HttpMetrics

__all__ = ["RequestIdMiddleware", "new_request_id", "request_answered", "request_scope_var"]

# The ASGI scope of the request being served: where a security event reads the client's
# address (baas.auth_wiring), so the services that record events need not be handed it.
request_scope_var: ContextVar[Scope | None] = ContextVar("baas_request_scope", default=None)

_log = logging.getLogger("baas.request")
_VALID_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
_HEADER = b"x-request-id"


# Ids are unique, not secret: a random prefix per process, then a counter.
_PREFIX = os.urandom(8).hex()
_COUNTER = itertools.count()


def new_request_id() -> str:
    """A fresh request id, unique across processes and restarts (32 hex digits)."""
    return f"{_PREFIX}{next(_COUNTER):016x}"


class RequestIdMiddleware:
    """Pure ASGI middleware (no body buffering, works for streaming and WebSockets)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics or HttpMetrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        scope_token = request_scope_var.set(scope)
        started = time.perf_counter()
        status = 500
        metrics = self.metrics
        http = scope["type"] == "http"
        if http:
            metrics.in_flight += 1
        else:
            metrics.websockets += 1

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            if not http:
                metrics.websockets -= 1
            else:
                metrics.in_flight -= 1
                request_answered(
                    metrics, scope["method"], scope["path"], status, duration, request_id
                )
            request_id_var.reset(token)
            request_scope_var.reset(scope_token)


def request_answered(
    metrics: HttpMetrics,
    method: str,
    path: str,
    status: int,
    seconds: float,
    request_id: str | None = None,
) -> None:
    """Count an answered HTTP request in ``metrics`` and write its log line.

    ``path`` is the path only, never the query string: it may carry codes or tokens.
    """
    metrics.observe(method, path, status, seconds, request_id)
    if not _log.isEnabledFor(logging.INFO):
        return  # the line and its fields are built only when it is written
    _log.info(
        "%s %s %d",
        method,
        path,
        status,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        },
    )


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == _HEADER and _VALID_ID.match(value):
            return str(value.decode("ascii"))
    return None
