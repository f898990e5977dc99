"""``baas serve`` caps GraphQL WebSocket messages in uvicorn, before they are buffered."""

from __future__ import annotations

from starlette.applications import Starlette

from baas import runner
from baas.connection_limits import ClientConnections, ConnectionLimits
from baas.graphql import GraphQLLimits


def test_uvicorn_refuses_websocket_messages_over_the_http_body_limit() -> None:
    # uvicorn's own default is 16 MiB: 20 anonymous 15 MB messages once took an API
    # from 187 to 668 MB.
    connections = ClientConnections(ConnectionLimits())
    server = runner._uvicorn(Starlette(), "127.0.0.1", 8000, connections=connections)
    assert server.config.ws_max_size == GraphQLLimits().max_body_bytes == 256 * 1024
