"""Calls through GraphQL: the example's workflow and function, on real Temporal and uvicorn.

The API serves the example app (``examples.board``) on the test's own task queue; a
worker for that queue runs beside it on its own Services over the same data file, as
``baas worker`` would in another process.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest
from gql.transport.exceptions import TransportConnectionFailed
from temporalio.client import Client

from auth.rules import allow
from baas.application import App, allow_call
from baas.errors import AppLoadError
from baas.graphql.invocations import invocation_fields
from examples.board import app as board_app
from examples.board.functions import release_board
from examples.board.workflows import ArchiveBoardWorkflow
from tests.integration.graphql.server import Api, api_with_worker

CALL_FIELDS = "id target status result error { code message }"
START_ARCHIVE = f"""
mutation($input: JSON!, $key: String, $wait: Boolean! = false) {{
  startArchiveBoard(input: $input, idempotencyKey: $key, wait: $wait) {{ {CALL_FIELDS} }}
}}"""
START_RELEASE = f"""
mutation($input: JSON!) {{ startReleaseBoard(input: $input, wait: true) {{ {CALL_FIELDS} }} }}"""
CALL = f"query($id: ID!) {{ call(id: $id) {{ {CALL_FIELDS} }} }}"
APPROVE = "mutation($id: ID!, $ok: Boolean!) { approveCall(id: $id, approved: $ok) { id status } }"
CANCEL = "mutation($id: ID!) { cancelCall(id: $id) { id } }"
SIGNAL = "mutation($id: ID!, $n: String!) { signalCall(id: $id, name: $n) { id } }"
PROGRESS = "subscription($id: ID!) { onCallProgress(id: $id) { status progress } }"
MY_CALLS = """
query($limit: Int!, $next: String) {
  myCalls(limit: $limit, nextToken: $next) { items { id target status } nextToken }
}"""


@pytest.fixture
async def api(
    tmp_path: Path, temporal_address: str, temporal_client: Client, task_queue: str
) -> AsyncIterator[Api]:
    """The example's API and a worker, both on this test's task queue."""
    async with api_with_worker(
        board_app, tmp_path, temporal_address, temporal_client, task_queue
    ) as server:
        yield server


async def gql(api: Api, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    """The response body of one operation over HTTP."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=40) as client:
        response = await client.post(
            api.graphql, json={"query": query, "variables": variables}, headers=headers
        )
    body: dict[str, Any] = response.json()
    return body


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def new_board(api: Api, owner_token: str, status: str = "active") -> str:
    board = f"b-{uuid.uuid4().hex[:8]}"
    body = await gql(
        api,
        "mutation($i: CreateBoardInput!) { createBoard(input: $i) { id } }",
        owner_token,
        i={"id": board, "name": "Q3", "status": status},
    )
    assert "errors" not in body, body
    return board


async def start_archive(api: Api, token: str, board: str, **extra: Any) -> dict[str, Any]:
    body = await gql(api, START_ARCHIVE, token, input={"board_id": board}, **extra)
    assert "errors" not in body, body
    call: dict[str, Any] = body["data"]["startArchiveBoard"]
    return call


async def wait_for_progress(api: Api, token: str, call_id: str, wanted: str) -> None:
    async with api.websocket(token) as session:
        async for event in session.subscribe(
            GraphQLRequest(PROGRESS, variable_values={"id": call_id})
        ):
            if event["onCallProgress"]["progress"] == wanted:
                return
    raise AssertionError(f"the call ended before reaching {wanted!r}")


async def test_an_archive_started_async_is_watched_approved_and_completes(api: Api) -> None:
    olga, admin = api.token("olga"), api.token("adam", "admin")
    board = await new_board(api, olga)
    call = await start_archive(api, olga, board)
    assert (call["status"], call["target"], call["result"]) == (
        "RUNNING", "board.ArchiveBoard", None,
    )  # fmt: skip

    events: list[dict[str, Any]] = []

    async def watch() -> None:
        async with api.websocket(olga) as session:
            request = GraphQLRequest(PROGRESS, variable_values={"id": call["id"]})
            async for event in session.subscribe(request):
                events.append(event["onCallProgress"])
                if event["onCallProgress"] == {
                    "status": "RUNNING",
                    "progress": "awaiting_approval",
                }:
                    approved = await gql(api, APPROVE, admin, id=call["id"], ok=True)
                    assert "errors" not in approved, approved

    await asyncio.wait_for(watch(), 20)
    assert {"status": "RUNNING", "progress": "awaiting_approval"} in events
    assert events[-1] == {"status": "COMPLETED", "progress": "done"}, "it ends with the call"

    done = (await gql(api, CALL, olga, id=call["id"]))["data"]["call"]
    assert done["status"] == "COMPLETED"
    # Field names in camelCase, as everywhere in GraphQL (ArchiveBoardResult.board_id).
    assert done["result"] == {"boardId": board, "notified": 0, "approvedBy": "adam"}
    assert done["error"] is None


async def test_a_function_runs_sync_for_its_group_only(api: Api) -> None:
    olga, admin = api.token("olga"), api.token("adam", "admin")
    board = await new_board(api, olga, status="archiving")  # an abandoned archive
    release = {"board_id": board, "previous_status": "paused"}

    refused = await gql(api, START_RELEASE, api.token("mallory", "members"), input=release)
    assert code_of(refused) == "FORBIDDEN"

    body = await gql(api, START_RELEASE, admin, input=release)
    call = body["data"]["startReleaseBoard"]
    assert (call["status"], call["target"], call["error"]) == ("COMPLETED", "release_board", None)
    assert call["result"] == {"boardId": board}
    board_now = await gql(
        api, "query($id: String!) { getBoard(id: $id) { status } }", olga, id=board
    )
    assert board_now["data"]["getBoard"]["status"] == "paused"


async def test_refusals_bad_input_and_size_limit(api: Api) -> None:
    olga = api.token("olga")
    anonymous = await gql(api, START_ARCHIVE, None, input={"board_id": "x"})
    assert code_of(anonymous) == "FORBIDDEN"

    bad = await gql(api, START_ARCHIVE, olga, input={"members": "not a list"})
    assert code_of(bad) == "VALIDATION"
    assert "board_id" in bad["errors"][0]["message"]

    # HTTP bodies and WebSocket messages alike stop at 256 KB, before the 1 MB call limit
    # (tests/integration/workflows/test_calls.py) is reached.
    big = {"board_id": "x", "members": ["m" * 1000] * 1100}
    response = api.post(START_ARCHIVE, {"input": big}, token=olga)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    with pytest.raises(TransportConnectionFailed):
        async with api.websocket(olga) as session:
            await session.execute(GraphQLRequest(START_ARCHIVE, variable_values={"input": big}))


async def test_a_call_is_visible_only_to_its_starter_who_may_cancel_it(api: Api) -> None:
    olga, peter = api.token("olga"), api.token("peter")
    board = await new_board(api, olga)
    call = await start_archive(api, olga, board)

    for operation, variables in ((CALL, {}), (CANCEL, {}), (SIGNAL, {"n": "note"})):
        assert code_of(await gql(api, operation, peter, id=call["id"], **variables)) == "NOT_FOUND"
    assert code_of(await gql(api, CALL, peter, id="call-does-not-exist")) == "NOT_FOUND"
    # Not an approver: the starter may not approve their own call (admins only here) ...
    assert code_of(await gql(api, APPROVE, olga, id=call["id"], ok=True)) == "FORBIDDEN"
    # ... nor slip the approval in as a raw signal.
    sneaky = await gql(api, SIGNAL, olga, id=call["id"], n="baas.approval")
    assert code_of(sneaky) == "VALIDATION"
    # Someone who is neither starter nor approver learns nothing.
    assert code_of(await gql(api, APPROVE, peter, id=call["id"], ok=True)) == "NOT_FOUND"

    await wait_for_progress(api, olga, call["id"], "awaiting_approval")
    assert "errors" not in await gql(api, SIGNAL, olga, id=call["id"], n="note")
    assert "errors" not in await gql(api, CANCEL, olga, id=call["id"])
    for _ in range(100):
        status = (await gql(api, CALL, olga, id=call["id"]))["data"]["call"]
        if status["status"] != "RUNNING":
            break
        await asyncio.sleep(0.1)
    assert status["status"] == "CANCELLED"
    assert status["error"]["code"] == "call_cancelled"
    board_now = await gql(
        api, "query($id: String!) { getBoard(id: $id) { status } }", olga, id=board
    )
    assert board_now["data"]["getBoard"]["status"] == "active", "the saga released the board"
    assert code_of(await gql(api, CANCEL, olga, id=call["id"])) == "CALL_NOT_RUNNING"


async def test_an_idempotency_key_returns_the_same_call(api: Api) -> None:
    olga, peter = api.token("olga"), api.token("peter")
    board = await new_board(api, olga)
    first = await start_archive(api, olga, board, key="archive-once")
    again = await start_archive(api, olga, board, key="archive-once")
    assert again["id"] == first["id"]
    # Another user's same key is another call, acting as them: olga's board is not theirs.
    theirs = await start_archive(api, peter, board, key="archive-once", wait=True)
    assert theirs["id"] != first["id"]
    assert (theirs["status"], theirs["error"]["code"]) == ("FAILED", "board_not_found")

    anonymous_key = await gql(api, START_ARCHIVE, None, input={"board_id": board}, key="k")
    assert code_of(anonymous_key) == "FORBIDDEN"


async def test_an_idempotency_key_with_another_input_is_a_conflict(api: Api) -> None:
    olga = api.token("olga")
    board, other_board = await new_board(api, olga), await new_board(api, olga)
    first = await start_archive(api, olga, board, key="archive-this")
    changed = await gql(
        api, START_ARCHIVE, olga, input={"board_id": other_board}, key="archive-this"
    )
    assert code_of(changed) == "IDEMPOTENCY_CONFLICT"
    assert (await start_archive(api, olga, board, key="archive-this"))["id"] == first["id"]


async def test_my_calls_lists_the_callers_own_calls_newest_first_page_by_page(
    api: Api,
) -> None:
    olga, peter = api.token("olga"), api.token("peter")
    board = await new_board(api, olga)
    first = await start_archive(api, olga, board, key="one")
    await start_archive(api, olga, board, key="one")  # the same call: listed once
    second = await start_archive(api, olga, await new_board(api, olga))
    third = await start_archive(api, olga, await new_board(api, olga))
    theirs = await start_archive(api, peter, board)

    page = (await gql(api, MY_CALLS, olga, limit=2))["data"]["myCalls"]
    assert [call["id"] for call in page["items"]] == [third["id"], second["id"]]
    assert {call["target"] for call in page["items"]} == {"board.ArchiveBoard"}
    assert page["nextToken"]
    rest = (await gql(api, MY_CALLS, olga, limit=2, next=page["nextToken"]))["data"]["myCalls"]
    assert [call["id"] for call in rest["items"]] == [first["id"]]

    # Peter sees his own call only, and cannot use olga's page token.
    peters = (await gql(api, MY_CALLS, peter, limit=10))["data"]["myCalls"]
    assert [call["id"] for call in peters["items"]] == [theirs["id"]]
    stolen = await gql(api, MY_CALLS, peter, limit=2, next=page["nextToken"])
    assert code_of(stolen) == "INVALID_NEXT_TOKEN"
    # Signed out: nobody's calls; and the page size is bounded.
    signed_out = (await gql(api, MY_CALLS, None, limit=10))["data"]["myCalls"]
    assert signed_out == {"items": [], "nextToken": None}
    assert code_of(await gql(api, MY_CALLS, olga, limit=1000)) == "VALIDATION"

    for call in (first, second, third):  # peter's failed by itself: not his board
        assert "errors" not in await gql(api, CANCEL, olga, id=call["id"])


def test_registration_fails_closed_and_names_the_mutations() -> None:
    app = App("rules")
    app.workflow(ArchiveBoardWorkflow)  # no rules: triggers and schedules only
    assert invocation_fields(app) == []
    with pytest.raises(AppLoadError, match="owner rule cannot grant 'start'"):
        app.workflow(ArchiveBoardWorkflow, rules=[allow_call.owner()])
    with pytest.raises(AppLoadError, match="allow_call"):
        app.function(release_board, rules=[allow.authenticated()])

    app.function(release_board, rules=[allow_call.public(operations=["start"])])
    names = {field.name for field in invocation_fields(app)}
    assert {"start_release_board", "call", "approve_call", "on_call_progress"} <= names
