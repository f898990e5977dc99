"""One pipeline for both transports: a Strawberry extension given to the schema runs on
every operation, over HTTP and over WebSocket, subscriptions included."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route
from strawberry.extensions import SchemaExtension
from websockets.asyncio.client import connect

from baas.application import App
from baas.graphql import graphql_routes
from baas.graphql.http import GraphQLEndpoint
from baas.services import Services
from tests.integration.graphql.server import (
    TRANSPORTS,
    Api,
    Transport,
    ask,
    serve_api,
    settings_for,
)

CREATE = 'mutation($b: String!) { createNote(input: {board: $b, title: "t"}) { id } }'


class Recorder(SchemaExtension):
    """Records the hooks and fields it saw; reports them in the response's extensions."""

    def __init__(self, *, execution_context: Any = None) -> None:
        self.hooks: list[str] = []
        self.fields: set[str] = set()

    def on_operation(self) -> Iterator[None]:
        self.hooks.append("operation")
        if "Explode" in (self.execution_context.query or ""):
            raise RuntimeError("the extension broke at /srv/secret/path.py")
        yield
        self.hooks.append("operation end")

    def on_parse(self) -> Iterator[None]:
        self.hooks.append("parse")
        yield

    def on_validate(self) -> Iterator[None]:
        self.hooks.append("validate")
        yield

    def on_execute(self) -> Iterator[None]:
        self.hooks.append("execute")
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Before the result is sent, as Strawberry lets a streaming extension change it.
        result.extensions = {**(result.extensions or {}), "streamed": True}
        yield

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        self.fields.add(info.field_name)
        return _next(root, info, *args, **kwargs)

    def get_results(self) -> dict[str, Any]:
        return {"recorder": {"hooks": list(self.hooks), "fields": sorted(self.fields)}}


@pytest.fixture(scope="module")
def recorded_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(tmp_path_factory.mktemp("extensions"), extensions=[Recorder]) as server:
        yield server


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_extension_runs_on_queries_and_mutations_over_both_transports(
    recorded_api: Api, transport: Transport
) -> None:
    alice = recorded_api.token("alice")
    board = f"b-{uuid.uuid4().hex[:6]}"
    created = ask(recorded_api, transport, CREATE, {"b": board}, token=alice)
    assert created.body["extensions"]["recorder"]["fields"] == ["createNote", "id"]
    query = "query($b: String!) { viewer { userId } notesByBoard(board: $b) { items { title } } }"
    answer = ask(recorded_api, transport, query, {"b": board}, token=alice)
    assert answer.body["data"]["notesByBoard"]["items"] == [{"title": "t"}]
    recorded = answer.body["extensions"]["recorder"]
    # Strawberry's order, the same on both transports.
    assert recorded["hooks"] == ["operation", "parse", "validate", "execute", "operation end"]
    assert answer.body["extensions"].get("streamed") is (True if transport == "websocket" else None)
    # The resolve hook sees every field, plain model fields too.
    assert recorded["fields"] == ["items", "notesByBoard", "title", "userId", "viewer"]


def test_an_extension_runs_on_each_subscription_event(recorded_api: Api) -> None:
    alice = recorded_api.token("alice")
    board = f"b-{uuid.uuid4().hex[:6]}"

    async def scenario() -> dict[str, Any]:
        async with connect(recorded_api.ws, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": alice}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            subscription = "subscription { onNoteCreated { board } }"
            await ws.send(
                json.dumps({"type": "subscribe", "id": "s", "payload": {"query": subscription}})
            )
            for _ in range(50):  # until the subscription is live: each create is an event
                await asyncio.to_thread(
                    ask, recorded_api, "http", CREATE, {"b": board}, token=alice
                )
                try:
                    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                    return message
                except TimeoutError:
                    continue
            raise AssertionError("no event arrived")

    event = asyncio.run(scenario())
    assert event["payload"]["data"] == {"onNoteCreated": {"board": board}}
    recorded = event["payload"]["extensions"]["recorder"]
    # Each event is a result of an operation still open (as in Strawberry's own streams).
    assert recorded["hooks"] == ["operation", "parse", "validate", "execute"]
    assert event["payload"]["extensions"]["streamed"] is True
    assert recorded["fields"] == ["board", "onNoteCreated"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_failing_extension_is_masked_like_any_bug(
    recorded_api: Api, transport: Transport
) -> None:
    answer = ask(recorded_api, transport, "query Explode { viewer { userId } }")
    assert answer.codes == ["INTERNAL_SERVER_ERROR"]
    assert "secret" not in answer.text


def test_an_app_declares_its_extensions(tmp_path: Path) -> None:
    app = App("with_extension")
    assert app.graphql_extension(Recorder) is Recorder  # usable as a class decorator
    routes = graphql_routes(Services(settings_for(tmp_path), app=app), extensions=[Other])
    http = next(route for route in routes if isinstance(route, Route))
    endpoint = http.endpoint.__self__  # type: ignore[attr-defined]
    assert isinstance(endpoint, GraphQLEndpoint)
    assert list(endpoint.pipeline.schema.extensions) == [Recorder, Other]


class Other(SchemaExtension):
    """Another extension, given when the routes are built."""
