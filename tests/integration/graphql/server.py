"""A real baas API (uvicorn in a thread) serving the test app, and small clients for it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from baas.app import create_app
from baas.authn import BearerAuthMiddleware
from baas.config import Settings
from baas.graphql import GraphQLLimits, graphql_routes
from baas.request_ids import RequestIdMiddleware
from baas.services import Services
from tests.integration.graphql.testapp import app as test_app
from tests.support import free_port, serve_in_thread

ENV = {"BAAS_ARGON2_TIME_COST": "1", "BAAS_ARGON2_MEMORY_KIB": "8192"}


@dataclass
class Api:
    url: str
    services: Services
    settings: Settings

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws(self) -> str:
        return self.graphql.replace("http://", "ws://")

    def token(self, user: str, *groups: str, lifetime: int | None = None) -> str:
        return self.services.tokens.issue_access_token(user, groups, lifetime=lifetime).token

    def http(self, token: str | None = None) -> Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return Client(transport=HTTPXAsyncTransport(url=self.graphql, headers=headers, timeout=10))

    def websocket(self, token: str | None = None, **kwargs: Any) -> Client:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        transport = WebsocketsTransport(
            url=self.ws, init_payload=payload, subprotocols=["graphql-transport-ws"], **kwargs
        )
        return Client(transport=transport)

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = {"query": query, "variables": variables or {}}
        return httpx.post(self.graphql, json=body, headers=headers, timeout=10, **kwargs)


def settings_for(data_dir: Path, **env: str) -> Settings:
    return Settings.from_env(
        {
            "BAAS_DATA_DIR": str(data_dir),
            "BAAS_TEMPORAL_ADDRESS": "127.0.0.1:1",  # unused: no workflow here
            **ENV,
            **env,
        }
    )


class _StartServices:
    """Starts ``services`` in the server's own event loop (the lifespan of the ASGI app)."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receive_and_start() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.services.start()
            elif message["type"] == "lifespan.shutdown":
                await self.services.stop()
            return message

        await self.app(scope, receive_and_start, send)


@contextlib.contextmanager
def serve_api(data_dir: Path, *, limits: GraphQLLimits | None = None, **env: str) -> Iterator[Api]:
    """The test app's API on a free port, with its Services at hand for minting tokens."""
    settings = settings_for(data_dir, **env)
    services = Services(settings, app=test_app)
    asgi: ASGIApp = create_app(settings, services=services)
    if limits is not None:
        asgi = _with_limits(settings, services, limits)
    with serve_in_thread(_StartServices(asgi, services), free_port()) as url:
        yield Api(url, services, settings)


def _with_limits(settings: Settings, services: Services, limits: GraphQLLimits) -> Starlette:
    """The GraphQL routes alone, with other limits, behind the same middleware."""
    return Starlette(
        routes=graphql_routes(services, limits=limits),
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BearerAuthMiddleware, authenticate=services.authenticator.caller_for_token),
        ],
    )


async def run(client: Client, query: str, **variables: Any) -> Any:
    """Execute one operation with ``client`` (gql raises on GraphQL errors)."""
    async with client as session:
        return await session.execute(GraphQLRequest(query, variable_values=variables or None))
