"""What one client may hold over WebSocket: messages as big as an HTTP body, and a
configurable number of connections per address (close codes 1009 and 1013)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from baas.config import Settings
from baas.graphql import GraphQLLimits, graphql_routes
from baas.graphql.websocket import GraphQLWebSocket
from baas.services import Services
from tests.integration.graphql.server import Api, serve_api, settings_for
from tests.integration.graphql.testapp import app as test_app

LIMITS = GraphQLLimits(max_connections_per_address=2)


@pytest.fixture(scope="module")
def capped_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(tmp_path_factory.mktemp("ws-limits"), limits=LIMITS) as server:
        yield server


async def acked(api: Api) -> ClientConnection:
    ws = await connect(api.ws, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    return ws


async def close_code(ws: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def subscribe(query: str) -> str:
    return json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}})


async def test_a_message_over_the_body_limit_closes_the_connection_with_1009(
    capped_api: Api,
) -> None:
    limit = LIMITS.max_body_bytes
    ws = await acked(capped_api)
    # Just under the limit: answered, and the socket stays open.
    padding = " " * (limit - 200)
    await ws.send(subscribe("{ viewer { userId } }" + padding))
    answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert answer["type"] == "next"
    assert (await asyncio.wait_for(ws.recv(), 5)) == '{"id":"1","type":"complete"}'
    # Over it (counted in bytes: "é" is two), closed before it is decoded.
    await ws.send(subscribe("{ viewer { userId } }" + "é" * (limit // 2)))
    assert await close_code(ws) == 1009


async def test_connections_past_the_per_address_limit_are_closed_with_1013(
    capped_api: Api,
) -> None:
    first, second = await acked(capped_api), await acked(capped_api)
    third = await connect(capped_api.ws, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    assert third.subprotocol == "graphql-transport-ws"  # a close code, not a failed handshake
    assert await close_code(third) == 1013
    # The others are untouched, and a place freed is a place to take.
    await first.send(json.dumps({"type": "ping"}))
    assert json.loads(await asyncio.wait_for(first.recv(), 5))["type"] == "pong"
    await second.close()
    for _ in range(50):  # the server counts the close when its handler has ended
        with contextlib.suppress(ConnectionClosed):
            replacement = await acked(capped_api)
            await replacement.close()
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the freed place was not given to a new connection")
    await first.close()


def test_the_per_address_limit_is_a_setting(tmp_path: Path) -> None:
    assert Settings.from_env({}).graphql_ws_connections_per_address == 50
    settings = settings_for(tmp_path, BAAS_GRAPHQL_WS_CONNECTIONS_PER_ADDRESS="3")
    routes = graphql_routes(Services(settings, app=test_app))
    websocket = next(route for route in routes if isinstance(route, WebSocketRoute))
    assert isinstance(websocket.app, GraphQLWebSocket)
    assert websocket.app.connections.limit == 3
