"""Bearer-token authentication for every HTTP route.

Each request gets a caller in ``scope["baas.caller"]``: anonymous without an
``Authorization`` header, the token's user with a valid ``Bearer`` token. A token that
is present but invalid is answered 401 ``invalid_token`` on every route, ``/graphql``
included, with ``WWW-Authenticate`` as RFC 6750 §3 describes — never a 500 and never
a silent downgrade to anonymous (threat: a client believing it acts as a user while
it is served public data, or probing tokens).

WebSocket handshakes pass through as anonymous: browsers cannot set headers there, so
GraphQL authenticates the connection from its ``connection_init`` payload instead. So do
requests to the DynamoDB endpoint's paths (``sigv4_paths``): it authenticates SigV4
itself and answers a bad ``Authorization`` in DynamoDB's error shape, which SDKs parse.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from auth.errors import AuthUnavailableError, InvalidTokenError
from auth.rules import Caller
from baas.http_errors import json_error

__all__ = ["CALLER_SCOPE_KEY", "BearerAuthMiddleware", "caller_of"]

CALLER_SCOPE_KEY = "baas.caller"


def caller_of(scope: Scope) -> Caller:
    """The caller the middleware attached (anonymous if none did)."""
    caller = scope.get(CALLER_SCOPE_KEY)
    return caller if isinstance(caller, Caller) else Caller.anonymous()


class BearerAuthMiddleware:
    """Pure ASGI middleware resolving ``Authorization: Bearer`` to a caller."""

    def __init__(
        self,
        app: ASGIApp,
        authenticate: Callable[[str], Caller],
        sigv4_paths: Collection[str] = (),
        self_authenticating: Collection[str] = (),
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        # Also passed through: routes that read Authorization themselves (the OpenID
        # provider's: client secrets in Basic, apps' tokens of another audience).
        self.sigv4_paths = frozenset(sigv4_paths) | frozenset(self_authenticating)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope[CALLER_SCOPE_KEY] = Caller.anonymous()
        header = _authorization(scope)
        if header is None or scope["type"] == "websocket" or scope["path"] in self.sigv4_paths:
            await self.app(scope, receive, send)
            return
        scheme, _, token = header.partition(" ")
        if scheme == "AWS4-HMAC-SHA256":
            # SigV4: verified by the DynamoDB endpoint against its access keys; any
            # other route sees an anonymous caller, never a user.
            await self.app(scope, receive, send)
            return
        if scheme.lower() != "bearer" or not token.strip():
            response = json_error(
                scope,
                400,
                "invalid_request",
                "The Authorization header must be 'Bearer <access token>'.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
            )
            await response(scope, receive, send)
            return
        try:
            scope[CALLER_SCOPE_KEY] = self.authenticate(token.strip())
        except InvalidTokenError as exc:
            response = json_error(
                scope,
                401,
                exc.code,
                exc.message,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            await response(scope, receive, send)
            return
        except AuthUnavailableError as exc:
            # Revocations unknown (store down): refuse rather than trust the token.
            response = json_error(scope, 503, exc.code, exc.message, headers={"Retry-After": "5"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _authorization(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None
