"""A browser's CORS preflight that will be refused, answered with what would allow it.

A frontend on an origin not in ``BAAS_CORS_ORIGINS`` used to get a bare ``405`` (no CORS
configured: nothing answers ``OPTIONS``) or Starlette's plain-text ``400 Disallowed CORS
origin``, and the developer had to guess the setting. This middleware, in front of
Starlette's CORS middleware, answers such a preflight itself: ``400`` in the API's error
shape, ``code`` ``cors_not_allowed``, the message naming the setting that would allow
it (``BAAS_CORS_ORIGINS`` for the origin, ``BAAS_CORS_HEADERS`` for a request header),
and one log line saying the same. Allowed preflights and every other request pass on
unchanged; refusing still sends no ``Access-Control-Allow-*`` header, so the browser
blocks the call exactly as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from baas.http_errors import json_error

__all__ = ["CorsRefusals"]

_log = logging.getLogger("baas.cors")
_CODE = "cors_not_allowed"
# Always allowed by browsers without asking (the CORS-safelisted request headers).
_SAFELISTED = frozenset({"accept", "accept-language", "content-language", "content-type"})


class CorsRefusals:
    """Answers the preflights the CORS configuration refuses, naming the setting."""

    def __init__(
        self, app: ASGIApp, *, origins: Iterable[str], headers: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.origins = frozenset(origins)
        allowed = {header.lower() for header in headers}
        self.any_header = "*" in allowed
        self.headers = frozenset(allowed) | _SAFELISTED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            request_headers = Headers(scope=scope)
            origin = request_headers.get("origin")
            if origin is not None and "access-control-request-method" in request_headers:
                refusal = self._refusal(origin, request_headers)
                if refusal is not None:
                    _log.warning("CORS preflight to %s refused: %s", scope["path"], refusal)
                    await json_error(scope, 400, _CODE, refusal)(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _refusal(self, origin: str, request_headers: Headers) -> str | None:
        if origin not in self.origins and "*" not in self.origins:
            configured = ", ".join(sorted(self.origins)) or "empty"
            return (
                f"The origin {origin} may not call this API from a browser: add it to "
                f"BAAS_CORS_ORIGINS (comma-separated; now {configured})."
            )
        if self.any_header:
            return None
        requested = request_headers.get("access-control-request-headers", "")
        refused = sorted(
            {h.strip().lower() for h in requested.split(",") if h.strip()} - self.headers
        )
        if refused:
            return (
                f"The request header(s) {', '.join(refused)} may not be sent from a browser: "
                "add them to BAAS_CORS_HEADERS (comma-separated)."
            )
        return None
