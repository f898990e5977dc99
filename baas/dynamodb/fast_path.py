"""SDK requests for the endpoint skip the API app's routing.

An SDK calls the endpoint at the rate of a database, and in the API app each call also
went through Starlette's router (every route before it is tried in turn), its exception
layers and the middleware of the other routes, which cost about as much as verifying
the call's signature. :class:`SdkFastPath` is the app's outermost middleware: a request
for one of the endpoint's paths goes straight to the endpoint, still with its request
id, log line and metrics (the endpoint it is given is wrapped for that).

Requests with an ``Origin`` header (browsers send one, SDKs elsewhere do not) take the
app's way, so its CORS rules apply to them as to every other route.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["SdkFastPath"]


class SdkFastPath:
    """Pure ASGI middleware: ``paths`` without an ``Origin`` go to ``endpoint``."""

    def __init__(self, app: ASGIApp, endpoint: ASGIApp, paths: Collection[str]) -> None:
        self.app = app
        self.endpoint = endpoint
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] in self.paths
            and not any(name == b"origin" for name, _ in scope["headers"])
        ):
            await self.endpoint(scope, receive, send)
        else:
            await self.app(scope, receive, send)
