"""A real baas API (uvicorn in a thread) serving the test app, and small clients for it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from starlette.applications import Starlette
from starlette.middleware import Middleware
from temporalio.client import Client as TemporalClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from baas.app import create_app
from baas.application import App
from baas.authn import BearerAuthMiddleware
from baas.config import Settings
from baas.function_runtime import function_runtime
from baas.graphql import Extension, GraphQLLimits, graphql_routes
from baas.request_ids import RequestIdMiddleware
from baas.services import Services
from baas.worker import build_worker
from tests.integration.graphql.testapp import app as test_app
from tests.support import free_port, port_accepts, serve_in_thread

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
def serve_api(
    data_dir: Path,
    *,
    limits: GraphQLLimits | None = None,
    extensions: Sequence[Extension] = (),
    app: App = test_app,
    **env: str,
) -> Iterator[Api]:
    """The test app's API (or ``app``'s) on a free port, with its Services at hand for
    minting tokens."""
    settings = settings_for(data_dir, **env)
    asgi = (
        create_app(settings, app=app)
        if limits is None and not extensions
        else _graphql_only(Services(settings, app=app), limits, extensions)
    )
    with serve_in_thread(asgi, free_port()) as url:
        yield Api(url, asgi.state.services, settings)


@contextlib.contextmanager
def api_process(
    data_dir: Path, *, factory: str = "tests.integration.graphql.testapp:create", **env: str
) -> Iterator[str]:
    """Another API process (uvicorn) serving the test app (or the app ``factory`` makes)
    on the same SQLite file; its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "BAAS_DATA_DIR": str(data_dir),
        "BAAS_TEMPORAL_ADDRESS": "127.0.0.1:1",
        **ENV,
        **env,
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=environment, cwd=Path(__file__).parents[3])
    try:
        deadline = time.monotonic() + 20
        while not port_accepts(port):
            assert process.poll() is None, "the second API process exited"
            assert time.monotonic() < deadline, "the second API process did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.asynccontextmanager
async def api_with_worker(
    app: App,
    data_dir: Path,
    temporal_address: str,
    temporal_client: TemporalClient,
    task_queue: str,
) -> AsyncIterator[Api]:
    """``app``'s API on a free port and a worker for its workflows and functions, both on
    ``task_queue`` of the real Temporal server at ``temporal_address``; the worker has its
    own Services over the same data file, as ``baas worker`` would in another process."""
    settings = Settings.from_env(
        {
            "BAAS_DATA_DIR": str(data_dir),
            "BAAS_TEMPORAL_ADDRESS": temporal_address,
            "BAAS_TASK_QUEUE": task_queue,
            **ENV,
        }
    )
    asgi = create_app(settings, app=app)
    with serve_in_thread(asgi, free_port()) as url:
        worker_services = Services(settings, app=app)
        await worker_services.start()
        worker = build_worker(temporal_client, settings, app, function_runtime(worker_services))
        try:
            async with worker:
                yield Api(url, asgi.state.services, settings)
        finally:
            await worker_services.stop()


def _graphql_only(
    services: Services, limits: GraphQLLimits | None, extensions: Sequence[Extension]
) -> Starlette:
    """The GraphQL routes alone, with other limits or extensions, behind the same middleware."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = Starlette(
        routes=graphql_routes(services, limits=limits, extensions=extensions),
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


Transport = Literal["http", "websocket"]
TRANSPORTS: tuple[Transport, ...] = ("http", "websocket")


@dataclass
class Answer:
    """One operation's answer, whichever way it went.

    ``kind``: ``http`` (``status`` set), ``next`` (a result), ``error`` (a request error:
    ``body["errors"]`` is the message's payload) or ``closed`` (``status`` is the close
    code). ``text`` is everything received, to look for leaks in.
    """

    kind: str
    body: dict[str, Any]
    text: str
    status: int | None = None

    @property
    def codes(self) -> list[str]:
        return [error["extensions"]["code"] for error in self.body.get("errors", [])]

    @property
    def messages(self) -> str:
        return " ".join(error["message"] for error in self.body.get("errors", []))


def ask(
    api: Api,
    transport: Transport,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    operation_name: str | None = None,
) -> Answer:
    """Run one operation over ``transport`` (HTTP POST, or a graphql-transport-ws socket)."""
    if transport == "http":
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name:
            body["operationName"] = operation_name
        response = httpx.post(api.graphql, json=body, headers=headers, timeout=10)
        return Answer("http", response.json(), response.text, response.status_code)
    return asyncio.run(
        ask_websocket(api, query, variables, token=token, operation_name=operation_name)
    )


async def ask_websocket(
    api: Api,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    operation_name: str | None = None,
) -> Answer:
    """One ``subscribe`` on a fresh connection: its ``next`` (up to ``complete``) or ``error``."""
    payload: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name:
        payload["operationName"] = operation_name
    received: list[str] = []
    async with connect(api.ws, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init = {"token": token} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
        answer = Answer("closed", {}, "")
        try:
            while True:
                text = str(await asyncio.wait_for(ws.recv(), 10))
                received.append(text)
                message = json.loads(text)
                if message["type"] == "next":
                    answer = Answer("next", message["payload"], "")
                elif message["type"] == "error":
                    answer = Answer("error", {"errors": message["payload"]}, "")
                    break
                elif message["type"] == "complete":
                    break
        except ConnectionClosed as closed:
            answer = Answer("closed", {}, "", closed.rcvd.code if closed.rcvd else None)
    answer.text = "\n".join(received)
    return answer
