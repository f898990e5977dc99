"""Relations and field rules through a real server: board -> todos -> author.

alice owns a board, its todos and her member profile (with an email only she and admins
may read); bob is in the ``team`` group (reads every todo) and reads boards and
members, but never alice's email or her todos' private notes. Each hop reads as the
caller under the target's rules, and once per page of parents (the store calls are
counted), over HTTP and WebSocket alike.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gql import GraphQLRequest

from tests.integration.graphql.relations_app import CALLS
from tests.integration.graphql.relations_app import app as relations_app
from tests.integration.graphql.server import TRANSPORTS, Api, Transport, ask, serve_api

NESTED = """
query($board: String!) {
  getBoard(id: $board) {
    name
    todos(limit: 50) {
      items { title note author { name email } board { name } }
    }
  }
}
"""
READS = ("get_item", "query", "scan", "batch_get", "query_partitions", "transact_get")
TABLES = ("Board", "Todo", "Member")


class StoreReads:
    """Counts the model-table reads a server's store makes, by operation."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def wrap(self, store: Any) -> None:
        for name in READS:
            original = getattr(store, name)

            async def counted(
                *args: Any, _name: str = name, _original: Any = original, **kw: Any
            ) -> Any:
                target = args[0] if args else next(iter(kw.values()))
                tables = [target] if isinstance(target, str) else list(target)
                if any(t in TABLES for t in tables if isinstance(t, str)):
                    with self._lock:
                        self.calls.append((_name, str(tables[0])))
                return await _original(*args, **kw)

            setattr(store, name, counted)

    def take(self) -> list[tuple[str, str]]:
        with self._lock:
            calls, self.calls = self.calls, []
        return calls


@pytest.fixture(scope="module")
def reads() -> StoreReads:
    return StoreReads()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, reads: StoreReads) -> Iterator[Api]:
    with serve_api(Path(tmp_path_factory.mktemp("relations")), app=relations_app) as server:
        reads.wrap(server.services.store)
        yield server


def run(api: Api, query: str, token: str, **variables: Any) -> dict[str, Any]:
    response = api.post(query, variables, token=token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def board(api: Api) -> dict[str, Any]:
    """alice's board with three todos, and both members' profiles."""
    alice, bob = api.token("alice"), api.token("bob", "team")
    run(
        api,
        'mutation { createMember(input: {name: "Alice", email: "alice@example.com"}) { id } }',
        alice,
    )
    run(
        api, 'mutation { createMember(input: {name: "Bob", email: "bob@example.com"}) { id } }', bob
    )
    created = run(api, 'mutation { createBoard(input: {name: "Launch"}) { id } }', alice)
    board_id = created["createBoard"]["id"]
    for title in ("one", "two", "three"):
        run(
            api,
            "mutation($b: String!, $t: String!) {"
            " createTodo(input: {boardId: $b, title: $t, note: $t}) { id } }",
            alice,
            b=board_id,
            t=title,
        )
    return {"id": board_id}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_owner_sees_every_hop_and_her_private_fields(
    api: Api, board: dict[str, Any], transport: Transport
) -> None:
    answer = ask(api, transport, NESTED, {"board": board["id"]}, token=api.token("alice"))
    assert "errors" not in answer.body, answer.body
    got = answer.body["data"]["getBoard"]
    assert got["name"] == "Launch"
    items = got["todos"]["items"]
    assert sorted(item["title"] for item in items) == ["one", "three", "two"]
    for item in items:
        assert item["note"] == item["title"]
        assert item["author"] == {"name": "Alice", "email": "alice@example.com"}
        assert item["board"] == {"name": "Launch"}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_reader_of_the_board_gets_null_and_forbidden_for_each_private_field(
    api: Api, board: dict[str, Any], transport: Transport
) -> None:
    answer = ask(api, transport, NESTED, {"board": board["id"]}, token=api.token("bob", "team"))
    items = answer.body["data"]["getBoard"]["todos"]["items"]
    assert len(items) == 3
    for item in items:
        assert item["note"] is None
        assert item["author"] == {"name": "Alice", "email": None}
        assert item["board"] == {"name": "Launch"}
    errors = answer.body["errors"]
    assert {error["extensions"]["code"] for error in errors} == {"FORBIDDEN"}
    paths = sorted(tuple(error["path"][-1:]) for error in errors)
    assert paths == [("email",)] * 3 + [("note",)] * 3
    assert "alice@example.com" not in answer.text + str(answer.body)


def test_rows_the_caller_may_not_read_are_absent_from_an_edge(
    api: Api, board: dict[str, Any]
) -> None:
    # carol reads the board (signed in) but is neither the todos' owner nor in the team.
    answer = ask(api, "http", NESTED, {"board": board["id"]}, token=api.token("carol"))
    assert "errors" not in answer.body, answer.body
    assert answer.body["data"]["getBoard"]["todos"]["items"] == []


def test_one_store_read_per_hop_whatever_the_number_of_parents(api: Api, reads: StoreReads) -> None:
    alice = api.token("alice")
    boards = []
    for n in range(4):
        made = run(api, f'mutation {{ createBoard(input: {{name: "count-{n}"}}) {{ id }} }}', alice)
        boards.append(made["createBoard"]["id"])
        for _ in range(3):
            run(
                api,
                'mutation($b: String!) { createTodo(input: {boardId: $b, title: "t"}) { id } }',
                alice,
                b=boards[-1],
            )
    query = """
    query($f: BoardFilterInput) {
      listBoards(filter: $f, limit: 1000) {
        items { name todos(limit: 10) { items { title author { name } board { name } } } }
      }
    }
    """
    reads.take()
    data = run(api, query, alice, f={"name": {"beginsWith": "count-"}})
    calls = reads.take()
    boards_seen = data["listBoards"]["items"]
    assert len(boards_seen) == 4
    assert all(len(b["todos"]["items"]) == 3 for b in boards_seen)
    # boards (a scan), every board's todos (one batched query), every todo's author and
    # board (one batch get each): 4 store calls for 4 boards, 12 todos, 24 links.
    assert sorted(calls) == [
        ("batch_get", "Board"),  # keyed by the request: {"Board": ...}
        ("batch_get", "Member"),
        ("query_partitions", "Todo"),
        ("scan", "Board"),
    ]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_nested_query_leaves_nothing_for_the_garbage_collector(
    api: Api, board: dict[str, Any], transport: Transport
) -> None:
    # A request whose objects form a reference cycle (an executor holding its own
    # methods, a batch holding itself through its callback) lives on, with every page
    # it read, until the collector's next full pass: under load those passes were most
    # of a nested query's cost. Freed by reference counting, nothing is left for it.
    # bob's answer carries FORBIDDEN errors (hidden fields): an error's traceback is a
    # cycle of its own (a frame holding the exception it was raising from).
    alice, bob = api.token("alice"), api.token("bob", "team")
    for token in (alice, bob):  # caches warmed
        ask(api, transport, NESTED, {"board": board["id"]}, token=token)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            answer = ask(api, transport, NESTED, {"board": board["id"]}, token=alice)
            assert "errors" not in answer.body, answer.body
            answer = ask(api, transport, NESTED, {"board": board["id"]}, token=bob)
            assert answer.body["errors"], answer.body
        gc.collect()
        left = {
            type(thing).__qualname__
            for thing in gc.garbage
            if type(thing).__module__.startswith(("baas.", "auth.", "storage.", "graphql."))
        }
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == set()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_filtering_or_looking_up_by_a_field_you_may_not_read_is_forbidden(
    api: Api, board: dict[str, Any], transport: Transport
) -> None:
    bob = api.token("bob", "team")
    probes = [
        'query { listMembers(filter: {email: {eq: "alice@example.com"}}) { items { id } } }',
        'query { membersByEmail(email: "alice@example.com") { items { id } } }',
        'query($b: String!) { getBoard(id: $b) { todos(filter: {note: {eq: "one"}}) { items { id } } } }',
    ]
    for probe in probes:
        answer = ask(api, transport, probe, {"b": board["id"]}, token=bob)
        assert answer.codes == ["FORBIDDEN"], (probe, answer.body)
    # The owner may: the hidden field is hers on every item she can see... but not on
    # every member, so the refusal is about the field, whoever asks (no probing).
    mine = ask(api, transport, probes[0], {}, token=api.token("root", "admin"))
    assert mine.codes == [], mine.body


def test_a_next_token_continues_only_its_own_parents_page(api: Api, board: dict[str, Any]) -> None:
    alice = api.token("alice")
    first = run(
        api,
        "query($b: String!) { getBoard(id: $b) { todos(limit: 2) { items { title } nextToken } } }",
        alice,
        b=board["id"],
    )["getBoard"]["todos"]
    assert len(first["items"]) == 2
    assert first["nextToken"]
    rest = run(
        api,
        "query($b: String!, $t: String) { getBoard(id: $b) { todos(limit: 2, nextToken: $t)"
        " { items { title } } } }",
        alice,
        b=board["id"],
        t=first["nextToken"],
    )["getBoard"]["todos"]["items"]
    assert len(rest) == 1
    other = run(api, 'mutation { createBoard(input: {name: "other"}) { id } }', alice)
    answer = ask(
        api,
        "http",
        "query($b: String!, $t: String) { getBoard(id: $b) { todos(nextToken: $t) { items { id } } } }",
        {"b": other["createBoard"]["id"], "t": first["nextToken"]},
        token=alice,
    )
    assert answer.codes == ["INVALID_NEXT_TOKEN"]
    assert answer.body["data"]["getBoard"]["todos"] is None


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_mutation_result_applies_the_field_rules(api: Api, transport: Transport) -> None:
    answer = ask(
        api,
        transport,
        'mutation { createBoard(input: {name: "audited", audit: "kept"}) { name audit } }',
        token=api.token("alice"),
    )
    assert answer.body["data"]["createBoard"] == {"name": "audited", "audit": None}
    assert answer.codes == ["FORBIDDEN"]
    assert answer.body["errors"][0]["path"] == ["createBoard", "audit"]
    assert "kept" not in answer.text + str(answer.body)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_computed_fields_read_as_the_caller_and_never_write_or_call_functions(
    api: Api, board: dict[str, Any], transport: Transport
) -> None:
    query = "query($b: String!) { getBoard(id: $b) { name shout openTodos } }"
    mine = ask(api, transport, query, {"b": board["id"]}, token=api.token("alice"))
    assert mine.body == {
        "data": {"getBoard": {"name": "Launch", "shout": "LAUNCH", "openTodos": 3}}
    }
    # carol may not see alice's todos: the computed count is hers, not alice's.
    theirs = ask(api, transport, query, {"b": board["id"]}, token=api.token("carol"))
    assert theirs.body["data"]["getBoard"]["openTodos"] == 0

    refused = ask(
        api, transport, "query($b: String!) { getBoard(id: $b) { renamed called } }",
        {"b": board["id"]}, token=api.token("alice"),
    )  # fmt: skip
    assert refused.body["data"]["getBoard"] == {"renamed": None, "called": None}
    assert sorted(refused.codes) == ["FORBIDDEN", "INTERNAL_SERVER_ERROR"]
    assert CALLS == []
    name = ask(api, "http", query, {"b": board["id"]}, token=api.token("alice"))
    assert name.body["data"]["getBoard"]["name"] == "Launch"


async def test_a_subscription_event_carries_a_hidden_field_as_null_without_error(
    api: Api, board: dict[str, Any]
) -> None:
    bob, alice = api.token("bob", "team"), api.token("alice")
    request = GraphQLRequest("subscription { onTodoCreated { title note author { name } } }")
    async with api.websocket(bob) as session:
        events = session.subscribe(request, get_execution_result=True)
        waiting = asyncio.ensure_future(asyncio.wait_for(anext(events), 5))
        await asyncio.sleep(0.4)  # graphql-transport-ws has no "subscribed" ack
        await asyncio.to_thread(
            run,
            api,
            'mutation($b: String!) { createTodo(input: {boardId: $b, title: "live", note: "x"}) { id } }',
            alice,
            b=board["id"],
        )
        event = await waiting
        await events.aclose()
    assert event.data == {
        "onTodoCreated": {"title": "live", "note": None, "author": {"name": "Alice"}}
    }
    assert not event.errors
