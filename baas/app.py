"""``create_app(settings)``: the whole HTTP surface, assembled in one declarative call."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from auth.access_keys import AccessKeyRepository
from baas.admin_api import admin_api_routes
from baas.application import App
from baas.auth_routes import auth_routes
from baas.authn import BearerAuthMiddleware
from baas.config import Settings
from baas.console import console_routes, vendor_routes
from baas.cors_refusals import CorsRefusals
from baas.dynamodb import (
    SDK_REQUEST_HEADERS,
    SDK_RESPONSE_HEADERS,
    Account,
    DynamoDBEndpoint,
    SdkFastPath,
    endpoint_paths,
    endpoint_routes,
)
from baas.graphql import graphql_routes
from baas.health import health_endpoint
from baas.http_errors import exception_handlers
from baas.oidc_routes import SELF_AUTHENTICATING_PATHS, oidc_routes
from baas.request_ids import RequestIdMiddleware
from baas.security_headers import SecurityHeadersMiddleware, security_headers
from baas.services import Services

__all__ = ["create_app"]


class _HardenedStarlette(Starlette):
    """Starlette with the security headers outside its error handling: the stack it
    builds puts its 500 handler outermost, so a middleware in ``middleware=`` would miss
    those answers."""

    def __init__(self, *, headers: list[tuple[bytes, bytes]], **options: Any) -> None:
        super().__init__(**options)
        self._security_headers = headers

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack(), self._security_headers)


def _cors(settings: Settings) -> list[Middleware]:
    """Browser apps on the origins in BAAS_CORS_ORIGINS may call the API (none by default).

    Credentials (cookies) are allowed only for those exact origins, never a wildcard:
    the refresh-token cookie must not be usable from an arbitrary site. The request
    headers baas reads are always allowed; BAAS_CORS_HEADERS adds the ones frontends
    send for themselves (tracing, error reporting, client names).
    """
    # The SDK's headers let a browser call /dynamodb with the JavaScript SDK.
    allowed_headers = [
        "Authorization",
        "Content-Type",
        "X-Request-Id",
        *SDK_REQUEST_HEADERS,
        *settings.cors_headers,
    ]
    # A refused preflight is answered saying which setting would allow it.
    refusals = Middleware(CorsRefusals, origins=settings.cors_origins, headers=allowed_headers)
    if not settings.cors_origins:
        return [refusals]
    return [
        refusals,
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=allowed_headers,
            expose_headers=["X-Request-Id", *SDK_RESPONSE_HEADERS],
            allow_credentials=True,
            max_age=600,
        ),
    ]


def create_app(
    settings: Settings,
    *,
    app: App | None = None,
    services: Services | None = None,
) -> Starlette:
    """The ASGI application for ``settings`` and the application ``app``.

    A process that manages the services itself (``baas dev`` starts them before it
    serves, so a bad model declaration is one clear line) passes ``services``; otherwise
    the app's lifespan starts and stops its own. Either way they are ``app.state.services``
    (tests and embedders mint tokens or reach the store through them).
    """
    owned = services is None
    parts = services or Services(settings, app=app)
    app = parts.app

    metrics = parts.metrics
    access_keys = AccessKeyRepository(lambda: parts.store, parts.secret_keys)
    dynamodb = DynamoDBEndpoint(lambda: parts.store, access_keys, Account(settings.dynamodb_region))
    metrics_routes = (
        [Route("/metrics", metrics.endpoint, methods=["GET"])] if settings.serves_metrics else []
    )
    # The console and its /admin API: on in dev, in prod only with BAAS_CONSOLE=true.
    # Dev's GraphiQL at GET /graphql needs the console's copy of GraphiQL's files.
    if settings.serves_console:
        console = [
            *console_routes(parts.auth),
            *admin_api_routes(parts, dynamodb, access_keys),
        ]
    else:
        console = vendor_routes() if settings.is_dev else []

    async def index(_request: Request) -> JSONResponse:
        return JSONResponse(
            {"service": "baas", "app": app.name if app else None, "health": "/healthz"}
        )

    @contextlib.asynccontextmanager
    async def lifespan(_starlette: Starlette) -> AsyncIterator[None]:
        if owned:
            await parts.start()
        try:
            yield
        finally:
            if owned:
                await parts.stop()

    starlette = _HardenedStarlette(
        headers=security_headers(settings.public_url),
        debug=False,  # tracebacks never reach a client, not even in dev
        routes=[
            # The hot paths first (routes are matched in order): GraphQL, then the
            # DynamoDB endpoint, which SDKs call at the rate of a database.
            *graphql_routes(parts),
            *endpoint_routes(dynamodb),
            Route("/", index, methods=["GET"]),
            Route(
                "/healthz",
                health_endpoint({"storage": parts.check_storage, "temporal": parts.temporal.check}),
                methods=["GET"],
            ),
            *auth_routes(parts.auth),
            *oidc_routes(parts.auth),
            *metrics_routes,
            *console,
        ],
        middleware=[
            Middleware(
                SdkFastPath,
                endpoint=RequestIdMiddleware(dynamodb, metrics=metrics),
                paths=endpoint_paths(),
            ),
            Middleware(RequestIdMiddleware, metrics=metrics),
            *_cors(settings),
            Middleware(
                BearerAuthMiddleware,
                authenticate=parts.authenticator.caller_for_token,
                sigv4_paths=endpoint_paths(),
                self_authenticating=SELF_AUTHENTICATING_PATHS,
            ),
        ],
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
    starlette.state.services = parts
    return starlette
