"""A real baas API (uvicorn in a thread) serving the test app, and small clients for it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from starlette.applications import Starlette
from starlette.middleware import Middleware

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


@contextlib.contextmanager
def serve_api(data_dir: Path, *, limits: GraphQLLimits | None = None, **env: str) -> Iterator[Api]:
    """The test app's API on a free port, with its Services at hand for minting tokens."""
    settings = settings_for(data_dir, **env)
    asgi = (
        create_app(settings, app=test_app)
        if limits is None
        else _with_limits(Services(settings, app=test_app), limits)
    )
    with serve_in_thread(asgi, free_port()) as url:
        yield Api(url, asgi.state.services, settings)


def _with_limits(services: Services, limits: GraphQLLimits) -> Starlette:
    """The GraphQL routes alone, with other limits, behind the same middleware."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = Starlette(
        routes=graphql_routes(services, limits=limits),
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BearerAuthMiddleware, authenticate=services.authenticator.caller_for_token),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app


async def run(client: Client, query: str, **variables: Any) -> Any:
    """Execute one operation with ``client`` (gql raises on GraphQL errors)."""
    async with client as session:
        return await session.execute(GraphQLRequest(query, variable_values=variables or None))
