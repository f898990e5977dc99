"""App-defined queries through a real server: uvicorn, a real Temporal dev server and a
worker running the functions in its pool, over HTTP and WebSocket.

The app is ``queries_app``: ``searchNotes`` (any signed-in user), ``noteStats`` (admins),
``failing`` (anyone; fails) and ``sleepyQuery`` (past its 1 s timeout).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from tests.integration.graphql.queries_app import app as queries_app
from tests.integration.graphql.server import (
    TRANSPORTS,
    Api,
    Transport,
    api_with_worker,
    ask_websocket,
)

SEARCH = """
query($input: SearchNotesInput!) {
  searchNotes(input: $input) {
    hits { noteId title match }
    total searchedBy askedAt extra
  }
}"""
CREATE = "mutation($t: String!) { createNote(input: {title: $t}) { id } }"


@pytest.fixture
async def api(
    tmp_path: Path, temporal_address: str, temporal_client: Client, task_queue: str
) -> AsyncIterator[Api]:
    """The app's API and a worker for its functions, on this test's task queue."""
    async with api_with_worker(
        queries_app, tmp_path, temporal_address, temporal_client, task_queue
    ) as server:
        yield server


async def ask(
    api: Api, transport: Transport, query: str, token: str | None = None, **variables: Any
) -> dict[str, Any]:
    """The body of one operation (HTTP), or its result message's payload (WebSocket)."""
    if transport == "websocket":
        answer = await ask_websocket(api, query, variables, token=token)
        return answer.body
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.post(
            api.graphql, json={"query": query, "variables": variables}, headers=headers
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_query_runs_its_function_as_the_caller_and_answers_typed(
    api: Api, transport: Transport
) -> None:
    alice, bob = api.token("alice"), api.token("bob")
    for title in ("plan", "plan b", "groceries"):
        created = await ask(api, "http", CREATE, alice, t=title)
        assert "errors" not in created, created
    await ask(api, "http", CREATE, bob, t="bob's plan")

    body = await ask(api, transport, SEARCH, alice, input={"text": "plan"})
    assert "errors" not in body, body
    found = body["data"]["searchNotes"]
    # Only alice's notes: the function read the store as alice, under the model's rules.
    assert sorted((hit["title"], hit["match"]) for hit in found["hits"]) == [
        ("plan", "exact"),
        ("plan b", "partial"),
    ]
    assert found["total"] == 2
    assert found["searchedBy"] == "alice"
    assert found["askedAt"].startswith("2026-01-01T09:30:00")
    assert found["extra"] == {"limitAsked": 10}  # a dict's keys are data: kept as they are

    nested = {"text": "plan", "limit": 1, "window": {"since": "2026-03-04T05:06:07Z"}}
    body = await ask(api, transport, SEARCH, bob, input=nested)
    assert "errors" not in body, body
    found = body["data"]["searchNotes"]
    assert [hit["title"] for hit in found["hits"]] == ["bob's plan"]
    assert found["searchedBy"] == "bob"
    assert found["askedAt"].startswith("2026-03-04T05:06:07")
    assert found["extra"] == {"limitAsked": 1}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_caller_the_rules_deny_is_refused_before_anything_runs(
    api: Api, transport: Transport
) -> None:
    anonymous = await ask(api, transport, SEARCH, None, input={"text": "x"})
    assert codes(anonymous) == ["FORBIDDEN"]
    assert anonymous["data"] == {"searchNotes": None}
    member = await ask(api, transport, "{ noteStats { notes } }", api.token("carol"))
    assert codes(member) == ["FORBIDDEN"]
    admin = await ask(api, transport, "{ noteStats { notes } }", api.token("adam", "admin"))
    assert admin == {"data": {"noteStats": {"notes": 0}}}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_failing_function_is_a_clear_error_without_internals(
    api: Api, transport: Transport
) -> None:
    query = "query($how: String!) { failing(input: {how: $how}) { notes } }"
    deliberate = await ask(api, transport, query, how="deliberate")
    assert deliberate["data"] == {"failing": None}
    (error,) = deliberate["errors"]
    assert error["extensions"] == {"code": "FUNCTION_FAILED", "reason": "not_today"}
    assert error["message"] == "Not today, try tomorrow."
    assert error["path"] == ["failing"]

    bug = await ask(api, transport, query, how="bug")
    (error,) = bug["errors"]
    assert error["extensions"] == {"code": "FUNCTION_FAILED", "reason": "internal"}
    text = str(bug)
    assert "secret internals" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_function_past_its_timeout_is_function_timeout(
    api: Api, transport: Transport
) -> None:
    body = await ask(api, transport, "{ sleepyQuery { notes } }", api.token("dora"))
    assert body["data"] == {"sleepyQuery": None}
    assert codes(body) == ["FUNCTION_TIMEOUT"]


async def test_an_input_that_does_not_fit_is_refused_by_graphql(api: Api) -> None:
    body = await ask(api, "http", SEARCH, api.token("erin"), input={"limit": 3})
    assert codes(body) == ["BAD_USER_INPUT"]  # text is required
    assert "data" not in body
