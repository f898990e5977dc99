"""Live subscriptions over graphql-transport-ws, fed by the store's change feed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest
from gql.transport.exceptions import TransportQueryError

from tests.integration.graphql.server import Api, api_process

ON_CREATED = """
subscription($filter: NoteFilterInput) { onNoteCreated(filter: $filter) { board title owner } }
"""
ON_UPDATED = "subscription { onNoteUpdated { title version } }"
ON_DELETED = "subscription { onNoteDeleted { title } }"
CREATE = "mutation($b: String!, $t: String!) { createNote(input: {board: $b, title: $t}) { id } }"
SETTLE = 0.4  # graphql-transport-ws has no "subscribed" ack: give the server a moment


async def post(url: str, query: str, token: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


async def first(events: AsyncGenerator[Any, None], wait: float = 5.0) -> Any:
    """The first event, then the subscription is completed (the client sends complete)."""
    try:
        return await asyncio.wait_for(anext(events), wait)
    finally:
        await events.aclose()


async def test_created_updated_and_deleted_events_arrive(api: Api) -> None:
    alice = api.token("alice")
    board = f"live-{uuid.uuid4().hex[:6]}"
    async with (
        api.websocket(alice) as created,
        api.websocket(alice) as updated,
        api.websocket(alice) as deleted,
    ):
        on_created = created.subscribe(
            GraphQLRequest(ON_CREATED, variable_values={"filter": {"board": {"eq": board}}})
        )
        on_updated = updated.subscribe(GraphQLRequest(ON_UPDATED))
        on_deleted = deleted.subscribe(GraphQLRequest(ON_DELETED))
        waiting = [
            asyncio.ensure_future(first(gen)) for gen in (on_created, on_updated, on_deleted)
        ]
        await asyncio.sleep(SETTLE)

        await post(api.graphql, CREATE, alice, b="another-board", t="filtered out")
        note = (await post(api.graphql, CREATE, alice, b=board, t="live"))["data"]["createNote"]
        key = {"board": board, "id": note["id"]}
        await post(
            api.graphql,
            "mutation($i: UpdateNoteInput!) { updateNote(input: $i) { id } }",
            alice,
            i={**key, "title": "edited"},
        )
        await post(
            api.graphql, "mutation($k: NoteKeyInput!) { deleteNote(key: $k) { id } }", alice, k=key
        )

        got = await asyncio.gather(*waiting)
    assert got[0] == {"onNoteCreated": {"board": board, "title": "live", "owner": "alice"}}
    assert got[1] == {"onNoteUpdated": {"title": "edited", "version": 2}}
    assert got[2] == {"onNoteDeleted": {"title": "edited"}}


async def test_events_are_checked_against_each_subscribers_rules(api: Api) -> None:
    board = f"live-{uuid.uuid4().hex[:6]}"
    alice, bob, carol = api.token("alice"), api.token("bob"), api.token("carol", "team")
    async with (
        api.websocket(bob) as as_bob,
        api.websocket(carol) as as_carol,
        api.websocket() as anonymous,
    ):
        bob_events = as_bob.subscribe(GraphQLRequest(ON_CREATED))
        carol_events = as_carol.subscribe(GraphQLRequest(ON_CREATED))
        bob_first = asyncio.ensure_future(first(bob_events))
        carol_first = asyncio.ensure_future(first(carol_events))
        await asyncio.sleep(SETTLE)

        await post(api.graphql, CREATE, alice, b=board, t="alice's private note")
        await post(api.graphql, CREATE, bob, b=board, t="bob's own note")

        assert (await carol_first)["onNoteCreated"]["title"] == "alice's private note"
        # Bob's first event is his own note: alice's, committed before it, was not sent.
        assert (await bob_first)["onNoteCreated"]["title"] == "bob's own note"

        with pytest.raises(TransportQueryError) as raised:
            await first(anonymous.subscribe(GraphQLRequest(ON_CREATED)))
        assert raised.value.errors is not None
        assert raised.value.errors[0]["extensions"]["code"] == "FORBIDDEN"


@pytest.fixture
def second_process(api: Api) -> Iterator[str]:
    """Another API process (uvicorn) serving the same SQLite file."""
    with api_process(api.settings.data_dir) as base:
        yield f"{base}/graphql"


async def test_a_write_through_another_process_reaches_the_subscriber(
    api: Api, second_process: str
) -> None:
    alice = api.token("alice")  # keys are in the shared store: the other process accepts it
    board = f"cross-{uuid.uuid4().hex[:6]}"
    async with api.websocket(alice) as session:
        events = session.subscribe(
            GraphQLRequest(ON_CREATED, variable_values={"filter": {"board": {"eq": board}}})
        )
        waiting = asyncio.ensure_future(first(events, wait=10))
        await asyncio.sleep(SETTLE)
        await post(second_process, CREATE, alice, b=board, t="from process two")
        event = await waiting
    assert event == {
        "onNoteCreated": {"board": board, "title": "from process two", "owner": "alice"}
    }
