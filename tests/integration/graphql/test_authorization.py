"""Who may do what, through every path a client can take to alice's private note.

Notes are owner-only, readable by the ``team`` group, and everything for ``admin``.
Someone else's note is answered exactly like a missing one (null, an empty page,
NOT_FOUND), and a refused write leaves it unchanged, over HTTP and over WebSocket alike.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.graphql.server import TRANSPORTS, Api, Transport, ask

CALLERS: dict[str, tuple[str, ...] | None] = {
    "alice": (),  # the owner
    "bob": (),  # another user
    "carol": ("team",),  # may read every note
    "root": ("admin",),  # may do everything
    "anonymous": None,
}

OPERATIONS: dict[str, str] = {
    "get": "query($b: String!, $id: String!) { getNote(board: $b, id: $id) { title } }",
    "list": "query($b: String!) { listNotes(filter: {board: {eq: $b}}) { items { title } } }",
    "by_board": "query($b: String!) { notesByBoard(board: $b) { items { title } } }",
    "by_index": 'query { notesByOwner(owner: "alice", limit: 1000) { items { title board } } }',
    "by_key_condition": (
        "query($b: String!, $id: String!) {"
        " notesByBoard(board: $b, id: {eq: $id}) { items { title } } }"
    ),
    "update": (
        "mutation($b: String!, $id: String!) {"
        ' updateNote(input: {board: $b, id: $id, title: "hacked"}) { title } }'
    ),
    "delete": "mutation($b: String!, $id: String!) { deleteNote(key: {board: $b, id: $id}) { title } }",
}

# (operation, caller) -> outcome on alice's note: "seen" (it is in the answer), "unseen"
# (null / not in the page), "ok" (write applied), or an error code.
EXPECTED: dict[str, dict[str, str]] = {
    "get": {
        "alice": "seen",
        "bob": "unseen",
        "carol": "seen",
        "root": "seen",
        "anonymous": "FORBIDDEN",
    },
    "list": {
        "alice": "seen",
        "bob": "unseen",
        "carol": "seen",
        "root": "seen",
        "anonymous": "FORBIDDEN",
    },
    "by_board": {
        "alice": "seen",
        "bob": "unseen",
        "carol": "seen",
        "root": "seen",
        "anonymous": "FORBIDDEN",
    },
    "by_index": {
        "alice": "seen",
        "bob": "unseen",
        "carol": "seen",
        "root": "seen",
        "anonymous": "FORBIDDEN",
    },
    "by_key_condition": {
        "alice": "seen",
        "bob": "unseen",
        "carol": "seen",
        "root": "seen",
        "anonymous": "FORBIDDEN",
    },
    "update": {
        "alice": "ok",
        "bob": "NOT_FOUND",
        "carol": "NOT_FOUND",
        "root": "ok",
        "anonymous": "FORBIDDEN",
    },
    "delete": {
        "alice": "ok",
        "bob": "NOT_FOUND",
        "carol": "NOT_FOUND",
        "root": "ok",
        "anonymous": "FORBIDDEN",
    },
}

CASES = [
    pytest.param(op, caller, outcome, transport, id=f"{op}-{caller}-{transport}")
    for op, row in EXPECTED.items()
    for caller, outcome in row.items()
    for transport in TRANSPORTS
    # Over WebSocket, the refusals: the rules are the same code on both paths, and what
    # must never differ is what a refused caller gets to see or change.
    if transport == "http" or outcome not in ("seen", "ok")
]
SECRET = "alice's secret"


def _outcome(body: dict[str, Any], operation: str, board: str) -> str:
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    data = body["data"]
    value = next(iter(data.values()))
    if operation in ("update", "delete"):
        return "ok"
    if value is None:
        return "unseen"
    if isinstance(value, dict) and "items" in value:
        mine = [
            i for i in value["items"] if i["title"] == SECRET and i.get("board", board) == board
        ]
        return "seen" if mine else "unseen"
    return "seen" if value["title"] == SECRET else "unseen"


@pytest.mark.parametrize(("operation", "caller", "expected", "transport"), CASES)
def test_access_to_alices_note(
    api: Api, operation: str, caller: str, expected: str, transport: Transport
) -> None:
    board = f"auth-{uuid.uuid4().hex[:8]}"
    alice = api.token("alice")
    created = api.post(
        'mutation($b: String!) { createNote(input: {board: $b, title: "alice\'s secret"}) { id } }',
        {"b": board},
        token=alice,
    ).json()
    note_id = created["data"]["createNote"]["id"]
    api.post(  # bob's own note on the same board, so pages are never empty by accident
        'mutation($b: String!) { createNote(input: {board: $b, title: "bob\'s"}) { id } }',
        {"b": board},
        token=api.token("bob"),
    )
    groups = CALLERS[caller]
    token = None if groups is None else api.token(caller, *groups)

    answer = ask(api, transport, OPERATIONS[operation], {"b": board, "id": note_id}, token=token)

    assert answer.kind in ("http", "next")
    assert answer.status in (200, None)
    assert _outcome(answer.body, operation, board) == expected
    if expected != "ok":
        after = api.post(OPERATIONS["get"], {"b": board, "id": note_id}, token=alice).json()
        assert after["data"]["getNote"] == {"title": SECRET}, "a refused write changed the note"
        assert SECRET not in answer.text or expected == "seen"


def test_a_next_token_cannot_be_replayed_by_someone_else(api: Api) -> None:
    board = f"auth-{uuid.uuid4().hex[:8]}"
    alice = api.token("alice")
    for title in ("one", "two", "three"):
        api.post(
            "mutation($b: String!, $t: String!) { createNote(input: {board: $b, title: $t}) { id } }",
            {"b": board, "t": title},
            token=alice,
        )
    query = "query($b: String!, $n: String) { notesByBoard(board: $b, limit: 1, nextToken: $n) { items { title } nextToken } }"
    token = api.post(query, {"b": board}, token=alice).json()["data"]["notesByBoard"]["nextToken"]
    assert token

    as_bob = api.post(query, {"b": board, "n": token}, token=api.token("bob")).json()
    other_board = api.post(query, {"b": board + "x", "n": token}, token=alice).json()
    tampered = api.post(query, {"b": board, "n": token[:-2] + "AA"}, token=alice).json()
    for body in (as_bob, other_board, tampered):
        assert body["errors"][0]["extensions"]["code"] == "INVALID_NEXT_TOKEN"
    assert api.post(query, {"b": board, "n": token}, token=alice).json()["data"]["notesByBoard"][
        "items"
    ]
