"""Queries and mutations through real clients (gql over HTTP and over WebSocket)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from tests.integration.graphql.server import Api, run

CREATE = """
mutation($input: CreateNoteInput!) {
  createNote(input: $input) { board id title done rank tags owner createdAt updatedAt version }
}"""
GET = "query($board: String!, $id: String!) { getNote(board: $board, id: $id) { title version } }"
BY_BOARD = """
query($board: String!, $limit: Int, $next: String, $dir: SortDirection, $filter: NoteFilterInput) {
  notesByBoard(board: $board, limit: $limit, nextToken: $next, sortDirection: $dir, filter: $filter) {
    items { id title rank } nextToken
  }
}"""
UPDATE = """
mutation($input: UpdateNoteInput!, $v: Int, $c: NoteFilterInput) {
  updateNote(input: $input, expectedVersion: $v, condition: $c) { title rank tags version updatedAt }
}"""


def board() -> str:
    return f"board-{uuid.uuid4().hex[:8]}"


async def create(api: Api, token: str, **fields: Any) -> dict[str, Any]:
    result = await run(api.http(token), CREATE, input=fields)
    note: dict[str, Any] = result["createNote"]
    return note


async def test_create_fills_server_fields_and_get_reads_it_back(api: Api) -> None:
    alice = api.token("alice")
    note = await create(api, alice, board=board(), title="buy milk", tags=["home"])

    assert note["owner"] == "alice"
    assert note["version"] == 1
    assert note["done"] is False  # the declared default
    assert len(note["id"]) == 26  # a generated, time-ordered id
    assert note["createdAt"] == note["updatedAt"]
    assert note["createdAt"].endswith("Z")
    got = await run(api.http(alice), GET, board=note["board"], id=note["id"])
    assert got["getNote"] == {"title": "buy milk", "version": 1}


async def test_the_same_operations_work_over_websocket(api: Api) -> None:
    alice = api.token("alice")
    b = board()
    async with api.websocket(alice) as session:
        from gql import GraphQLRequest

        created = await session.execute(
            GraphQLRequest(CREATE, variable_values={"input": {"board": b, "title": "over ws"}})
        )
        listed = await session.execute(GraphQLRequest(BY_BOARD, variable_values={"board": b}))
    assert created["createNote"]["owner"] == "alice"
    assert [n["title"] for n in listed["notesByBoard"]["items"]] == ["over ws"]


async def test_server_owned_fields_cannot_be_set(api: Api) -> None:
    alice = api.token("alice")
    with pytest.raises(TransportQueryError) as raised:
        await create(api, alice, board=board(), title="x", owner="bob")
    assert raised.value.errors
    assert "owner" in raised.value.errors[0]["message"]


async def test_pages_follow_next_token_in_sort_key_order(api: Api) -> None:
    alice = api.token("alice")
    b = board()
    ids = [(await create(api, alice, board=b, title=f"n{i}", rank=i))["id"] for i in range(5)]

    seen: list[str] = []
    token = None
    while True:
        page = (await run(api.http(alice), BY_BOARD, board=b, limit=2, next=token))["notesByBoard"]
        seen += [item["id"] for item in page["items"]]
        token = page["nextToken"]
        if token is None:
            break
    assert seen == ids  # generated ids sort by creation time
    backwards = await run(api.http(alice), BY_BOARD, board=b, dir="DESC")
    assert [n["id"] for n in backwards["notesByBoard"]["items"]] == ids[::-1]


async def test_filters_translate_every_operator(api: Api) -> None:
    alice = api.token("alice")
    b = board()
    for i, title in enumerate(["apple", "apricot", "banana", "cherry"]):
        await create(api, alice, board=b, title=title, rank=i, tags=["fruit"] if i % 2 else None)

    async def titles(filter_: dict[str, Any]) -> list[str]:
        page = await run(api.http(alice), BY_BOARD, board=b, filter=filter_)
        return sorted(item["title"] for item in page["notesByBoard"]["items"])

    assert await titles({"title": {"beginsWith": "ap"}}) == ["apple", "apricot"]
    assert await titles({"rank": {"between": [1, 2]}}) == ["apricot", "banana"]
    assert await titles({"rank": {"ge": 2}, "title": {"ne": "cherry"}}) == ["banana"]
    assert await titles({"tags": {"contains": "fruit"}}) == ["apricot", "cherry"]
    assert await titles({"tags": {"exists": False}}) == ["apple", "banana"]
    assert await titles({"or": [{"rank": {"eq": 0}}, {"title": {"contains": "err"}}]}) == [
        "apple",
        "cherry",
    ]
    assert await titles({"not": {"title": {"lt": "b"}}}) == ["banana", "cherry"]
    # Values that look like expression syntax are data, never expression text.
    assert await titles({"title": {"eq": "x) OR (attribute_exists(#n0"}}) == []


async def test_update_sets_removes_and_bumps_the_version(api: Api) -> None:
    alice = api.token("alice")
    note = await create(api, alice, board=board(), title="draft", rank=3, tags=["a"])
    key = {"board": note["board"], "id": note["id"]}

    updated = (await run(api.http(alice), UPDATE, input={**key, "title": "final", "rank": None}))[
        "updateNote"
    ]
    assert updated["title"] == "final"
    assert updated["rank"] is None  # null removes an optional field
    assert updated["tags"] == ["a"]  # absent leaves a field alone
    assert updated["version"] == 2
    assert updated["updatedAt"] > note["updatedAt"]


async def test_expected_version_is_optimistic_locking(api: Api) -> None:
    alice = api.token("alice")
    note = await create(api, alice, board=board(), title="v1")
    key = {"board": note["board"], "id": note["id"]}
    await run(api.http(alice), UPDATE, input={**key, "title": "v2"}, v=1)

    with pytest.raises(TransportQueryError) as raised:
        await run(api.http(alice), UPDATE, input={**key, "title": "lost update"}, v=1)
    assert raised.value.errors[0]["extensions"]["code"] == "CONDITIONAL_CHECK_FAILED"
    got = await run(api.http(alice), GET, **key)
    assert got["getNote"] == {"title": "v2", "version": 2}


async def test_conditions_guard_writes(api: Api) -> None:
    alice = api.token("alice")
    note = await create(api, alice, board=board(), title="open")
    key = {"board": note["board"], "id": note["id"]}
    with pytest.raises(TransportQueryError) as raised:
        await run(api.http(alice), UPDATE, input={**key, "title": "x"}, c={"done": {"eq": True}})
    assert raised.value.errors[0]["extensions"]["code"] == "CONDITIONAL_CHECK_FAILED"
    with pytest.raises(TransportQueryError) as raised:
        await create(api, alice, board=key["board"], id=key["id"], title="duplicate key")
    assert raised.value.errors[0]["extensions"]["code"] == "CONDITIONAL_CHECK_FAILED"


async def test_delete_returns_the_item_and_get_then_answers_null(api: Api) -> None:
    alice = api.token("alice")
    note = await create(api, alice, board=board(), title="bye")
    key = {"board": note["board"], "id": note["id"]}
    deleted = await run(
        api.http(alice),
        "mutation($key: NoteKeyInput!) { deleteNote(key: $key) { title } }",
        key=key,
    )
    assert deleted["deleteNote"] == {"title": "bye"}
    assert (await run(api.http(alice), GET, **key))["getNote"] is None
    with pytest.raises(TransportQueryError) as raised:
        await run(
            api.http(alice),
            "mutation($key: NoteKeyInput!) { deleteNote(key: $key) { title } }",
            key=key,
        )
    assert raised.value.errors[0]["extensions"]["code"] == "NOT_FOUND"


TRANSACT = """
mutation($items: [TransactItemInput!]!) {
  transact(items: $items) { __typename ... on Note { id title version } ... on Board { id name } }
}"""


async def test_transact_applies_all_writes(api: Api) -> None:
    alice = api.token("alice")
    b = board()
    existing = await create(api, alice, board=b, title="old")
    key = {"board": b, "id": existing["id"]}
    result = await run(
        api.http(alice),
        TRANSACT,
        items=[
            {"createBoard": {"input": {"id": b, "name": "Groceries"}}},
            {"createNote": {"input": {"board": b, "title": "new"}}},
            {"updateNote": {"input": {**key, "title": "renamed"}, "expectedVersion": 1}},
        ],
    )
    written = result["transact"]
    assert written[0] == {"__typename": "Board", "id": b, "name": "Groceries"}
    assert written[1]["title"] == "new"
    assert written[2] == {
        "__typename": "Note",
        "id": existing["id"],
        "title": "renamed",
        "version": 2,
    }


async def test_a_cancelled_transaction_changes_nothing_and_says_why(api: Api) -> None:
    alice, bob = api.token("alice"), api.token("bob")
    b = board()
    mine = await create(api, alice, board=b, title="mine")
    theirs = await create(api, bob, board=b, title="theirs")
    items = [
        {"createNote": {"input": {"board": b, "title": "would be new"}}},
        {
            "updateNote": {
                "input": {"board": b, "id": mine["id"], "title": "x"},
                "expectedVersion": 7,
            }
        },
        {"deleteNote": {"key": {"board": b, "id": theirs["id"]}}},
    ]
    with pytest.raises(TransportQueryError) as raised:
        await run(api.http(alice), TRANSACT, items=items)
    error = raised.value.errors[0]
    assert error["extensions"]["code"] == "TRANSACTION_CANCELED"
    assert [r["code"] for r in error["extensions"]["reasons"]] == [
        "NONE",
        "CONDITIONAL_CHECK_FAILED",
        "NOT_FOUND",  # bob's note: answered like a missing one
    ]
    assert "theirs" not in str(error)
    page = await run(api.http(api.token("root", "admin")), BY_BOARD, board=b)
    assert sorted(n["title"] for n in page["notesByBoard"]["items"]) == ["mine", "theirs"]
