"""Browser-hardening headers on every HTTP response of the API's port.

=================================  ======================================================
header                             threat it answers
=================================  ======================================================
``X-Content-Type-Options``         a browser "sniffing" a JSON answer (say, a user's item
                                   holding markup) into HTML or script
``Referrer-Policy``                URLs of the API (paths, query strings) leaking to other
                                   sites through the ``Referer`` header
``X-Frame-Options`` and CSP        clickjacking: a page such as GraphiQL framed invisibly
``frame-ancestors``                by another site (the CSP form for current browsers, the
                                   older header for the rest)
``Strict-Transport-Security``      a first plain-HTTP request stripped of TLS by someone on
                                   the network; sent only when ``BAAS_PUBLIC_URL`` is https
=================================  ======================================================

A header a route set itself is left as it is (a page may need its own CSP). The
middleware is the outermost layer of the app, outside Starlette's error handling, so
500 answers carry the headers too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeadersMiddleware", "security_headers"]

# One year, without includeSubDomains or preload: those bind sibling hosts of the
# operator's domain, which is not this service's decision to make.
_HSTS = b"max-age=31536000"


def security_headers(public_url: str) -> list[tuple[bytes, bytes]]:
    """The headers every response gets, for an API published at ``public_url``."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"frame-ancestors 'none'"),
    ]
    if public_url.lower().startswith("https://"):
        headers.append((b"strict-transport-security", _HSTS))
    return headers


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding :func:`security_headers` to each HTTP response."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers
        self.names = frozenset(name for name, _value in headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = message.get("headers", [])
                names = self.names.intersection(name.lower() for name, _value in present)
                added = [header for header in self.headers if header[0] not in names]
                message = {**message, "headers": [*present, *added]}
            await send(message)

        await self.app(scope, receive, send_hardened)
