"""An access rule's refusal (GraphQL FORBIDDEN, over HTTP and WebSocket) is a security
event that admins see — sampled: one per caller, table and operation a minute."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.integration.auth.auth_server import PASSWORD, create_admin
from tests.integration.graphql.server import Api, serve_api

ADMIN = "denials@example.com"
CREATE = 'mutation { createNote(input: {board: "b", title: "t"}) { id } }'


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, str]]:
    data = tmp_path_factory.mktemp("denials")
    create_admin(data, ADMIN)
    with serve_api(data) as server:
        signin = {"email": ADMIN, "password": PASSWORD}
        admin = httpx.post(f"{server.url}/auth/signin", json=signin, timeout=10)
        yield server, admin.json()["access_token"]


def denials(api: Api, admin: str, expect: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        answer = httpx.get(
            f"{api.url}/auth/admin/events",
            params={"type": "access_denied"},
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10,
        )
        events: list[dict[str, Any]] = answer.json()["events"]
        if len(events) >= expect:
            return events
        assert time.monotonic() < deadline, events
        time.sleep(0.05)


async def test_refusals_are_sampled_security_events(api: tuple[Api, str]) -> None:
    server, admin = api
    for _ in range(3):  # a client insisting: one event, the repeats counted
        answer = server.post(CREATE, headers={"X-Request-Id": "denied-create-0001"})
        assert answer.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    first = denials(server, admin, expect=1)
    assert len(first) == 1
    assert first[0]["detail"] == {"table": "Note", "operation": "create", "repeated": 0}
    assert first[0]["user_id"] is None
    assert first[0]["address"] == "127.0.0.1"
    assert first[0]["request_id"] == "denied-create-0001"

    # Over WebSocket: an anonymous subscription to what only members may list.
    async with connect(server.ws, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        query = "subscription { onNoteCreated { title } }"
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
        refused = json.loads(await ws.recv())
        assert refused["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    newest = denials(server, admin, expect=2)[0]
    assert newest["detail"] == {"table": "Note", "operation": "list", "repeated": 0}
