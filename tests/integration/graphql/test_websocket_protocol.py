"""graphql-transport-ws exactly: every misuse gets the close code PROTOCOL.md gives it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from baas.graphql import GraphQLLimits
from tests.integration.graphql.server import Api, serve_api

LIMITS = GraphQLLimits(
    connection_init_timeout_seconds=0.5,
    liveness_check_seconds=0.3,
    max_subscriptions_per_connection=2,
)
TRUSTED = "http://app.example"
SUBSCRIBE = "subscription { onNoteCreated { title } }"


@pytest.fixture(scope="module")
def ws_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_api(
        tmp_path_factory.mktemp("ws"), limits=LIMITS, BAAS_CORS_ORIGINS=TRUSTED
    ) as server:
        yield server


async def opened(api: Api, **kwargs: Any) -> ClientConnection:
    return await connect(api.ws, subprotocols=["graphql-transport-ws"], **kwargs)  # type: ignore[list-item]


@pytest.fixture
async def ws(ws_api: Api) -> AsyncIterator[ClientConnection]:
    connection = await opened(ws_api)
    try:
        yield connection
    finally:
        await connection.close()


async def send(ws: ClientConnection, message: object) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection, wait: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), wait))
    return message


async def close_code(ws: ClientConnection, wait: float = 5) -> int | None:
    """Read until the server closes; its close code."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), wait)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def acked(ws: ClientConnection, payload: dict[str, Any] | None = None) -> None:
    await send(ws, {"type": "connection_init", "payload": payload or {}})
    assert (await receive(ws))["type"] == "connection_ack"


async def test_a_foreign_origin_is_refused_and_a_trusted_one_accepted(ws_api: Api) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await opened(ws_api, origin="http://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    trusted = await opened(ws_api, origin=TRUSTED)  # type: ignore[arg-type]
    await acked(trusted)
    await trusted.close()


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        [1, 2],
        {"no": "type"},
        {"type": "subscribe", "id": "1"},
        {"type": "subscribe", "id": "1", "payload": "query"},
        {"type": "subscribe", "id": 7, "payload": {"query": SUBSCRIBE}},
        {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE, "variables": []}},
        {"type": "teleport"},
    ],
)
async def test_malformed_messages_close_with_4400(ws: ClientConnection, message: object) -> None:
    await acked(ws)
    await ws.send(message if isinstance(message, str) else json.dumps(message))
    assert await close_code(ws) == 4400


async def test_no_connection_init_in_time_closes_with_4408(ws: ClientConnection) -> None:
    assert await close_code(ws) == 4408


async def test_a_second_connection_init_closes_with_4429(ws: ClientConnection) -> None:
    await acked(ws)
    await send(ws, {"type": "connection_init"})
    assert await close_code(ws) == 4429


async def test_subscribing_before_the_ack_closes_with_4401(ws: ClientConnection) -> None:
    await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
    assert await close_code(ws) == 4401


async def test_a_reused_operation_id_closes_with_4409(ws_api: Api, ws: ClientConnection) -> None:
    await acked(ws, {"authorization": f"Bearer {ws_api.token('alice')}"})
    subscribe = {"type": "subscribe", "id": "same", "payload": {"query": SUBSCRIBE}}
    await send(ws, subscribe)
    await send(ws, subscribe)
    assert await close_code(ws) == 4409


@pytest.mark.parametrize(
    "payload",
    [
        {"authorization": "Bearer forged.token.value"},
        {"token": "forged"},
        {"authorization": "Basic eA=="},
        {"token": 5},
    ],
)
async def test_a_bad_token_closes_with_4403(ws: ClientConnection, payload: dict[str, Any]) -> None:
    await send(ws, {"type": "connection_init", "payload": payload})
    assert await close_code(ws) == 4403


async def test_both_payload_forms_authenticate(ws_api: Api) -> None:
    token = ws_api.token("alice")
    for payload in ({"authorization": f"Bearer {token}"}, {"token": token}):
        ws = await opened(ws_api)
        await acked(ws, payload)
        query = "{ viewer { userId } }"
        await send(ws, {"type": "subscribe", "id": "q", "payload": {"query": query}})
        assert (await receive(ws))["payload"] == {"data": {"viewer": {"userId": "alice"}}}
        await ws.close()


async def test_the_connection_closes_when_the_token_expires(
    ws_api: Api, ws: ClientConnection
) -> None:
    await acked(ws, {"token": ws_api.token("alice", lifetime=1)})
    await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
    assert await close_code(ws, wait=4) == 4403


async def test_too_many_subscriptions_on_one_connection_get_an_error(
    ws_api: Api, ws: ClientConnection
) -> None:
    await acked(ws, {"token": ws_api.token("alice")})
    for n in range(3):
        await send(ws, {"type": "subscribe", "id": f"s{n}", "payload": {"query": SUBSCRIBE}})
    refused = await receive(ws)
    assert (refused["type"], refused["id"]) == ("error", "s2")
    assert "limit" in refused["payload"][0]["message"].lower()


async def test_the_legacy_protocol_is_not_spoken(ws_api: Api) -> None:
    ws = await connect(ws_api.ws, subprotocols=["graphql-ws"])  # type: ignore[list-item]
    assert await close_code(ws) == 4406


async def test_the_connection_closes_when_the_users_tokens_are_revoked(
    ws_api: Api, ws: ClientConnection
) -> None:
    await acked(ws, {"token": ws_api.token("mallory")})
    await send(ws, {"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIBE}})
    # What disabling the user (or "sign out everywhere") records for every API process.
    ws_api.services.auth.revocations.revoke_user("mallory", time.time() + 1)
    assert await close_code(ws, wait=3) == 4403
