"""The access rules enforced on a real SQLite store: caller x operation x rule."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth.acting_store import ActingStore, TablePolicy
from auth.errors import AccessDeniedError, ItemNotFoundError
from auth.rules import Caller, Rule, allow
from storage import DocumentStore, KeyAttribute, SqliteConfig, TableSpec, open_store
from storage.errors import ConditionalCheckFailedError, ValidationError

TABLE = TableSpec("Todo", KeyAttribute("board", "S"), KeyAttribute("id", "S"))
ALICE = Caller.user("alice")
BOB = Caller.user("bob")
ADMIN = Caller.user("root", groups=["admin"])
NOBODY = Caller.anonymous()
SYSTEM = Caller.system()

RULESETS: dict[str, list[Rule]] = {
    "owner": [allow.owner()],
    "owner+admin": [allow.owner(), allow.groups("admin")],
    "owner+auth-read": [allow.owner(), allow.authenticated(read=True)],
    "public-read": [allow.public(read=True)],
}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DocumentStore]:
    store = await open_store(SqliteConfig(tmp_path / "rules.sqlite3"))
    await store.create_table(TABLE)
    await store.put_item("Todo", {"board": "b", "id": "a1", "title": "alice's", "owner": "alice"})
    await store.put_item("Todo", {"board": "b", "id": "b1", "title": "bob's", "owner": "bob"})
    try:
        yield store
    finally:
        await store.close()


def acting(store: DocumentStore, caller: Caller, ruleset: str) -> ActingStore:
    return ActingStore(store, caller, {"Todo": TablePolicy(TABLE, tuple(RULESETS[ruleset]))})


async def outcome(actor: ActingStore, operation: str) -> str:
    """Run ``operation`` on alice's item and say what happened."""
    key = {"board": "b", "id": "a1"}
    try:
        if operation == "get":
            return "ok" if await actor.get_item("Todo", key) else "not_found"
        if operation == "list":
            page = await actor.query("Todo", "board = :b", values={":b": "b"})
            return ",".join(sorted(item["id"] for item in page.items)) or "empty"
        if operation == "create":
            await actor.create_item("Todo", {"board": "b", "id": "new", "title": "t"})
            return "ok"
        if operation == "update":
            await actor.update_item("Todo", key, "SET title = :t", values={":t": "changed"})
            return "ok"
        await actor.delete_item("Todo", key)
        return "ok"
    except AccessDeniedError:
        return "denied"
    except ItemNotFoundError:
        return "not_found"


# (ruleset, caller, operation) -> outcome, on alice's item a1 (bob owns b1).
TABLE_OF_OUTCOMES = [
    ("owner", ALICE, "get", "ok"),
    ("owner", BOB, "get", "not_found"),
    ("owner", NOBODY, "get", "denied"),
    ("owner", ALICE, "list", "a1"),
    ("owner", BOB, "list", "b1"),
    ("owner", ALICE, "update", "ok"),
    ("owner", BOB, "update", "not_found"),
    ("owner", NOBODY, "update", "denied"),
    ("owner", BOB, "delete", "not_found"),
    ("owner", ALICE, "delete", "ok"),
    ("owner", BOB, "create", "ok"),
    ("owner", NOBODY, "create", "denied"),
    ("owner+admin", ADMIN, "get", "ok"),
    ("owner+admin", ADMIN, "list", "a1,b1"),
    ("owner+admin", ADMIN, "update", "ok"),
    ("owner+admin", ADMIN, "delete", "ok"),
    ("owner+auth-read", BOB, "get", "ok"),
    ("owner+auth-read", BOB, "list", "a1,b1"),
    ("owner+auth-read", BOB, "update", "not_found"),
    ("owner+auth-read", NOBODY, "list", "denied"),
    ("public-read", NOBODY, "get", "ok"),
    ("public-read", NOBODY, "list", "a1,b1"),
    ("public-read", NOBODY, "update", "denied"),
    ("public-read", ALICE, "delete", "denied"),
    ("owner", SYSTEM, "update", "ok"),
    ("owner", SYSTEM, "list", "a1,b1"),
]


@pytest.mark.parametrize(("ruleset", "caller", "operation", "expected"), TABLE_OF_OUTCOMES)
async def test_caller_operation_rule_table(
    store: DocumentStore, ruleset: str, caller: Caller, operation: str, expected: str
) -> None:
    before = await store.get_item("Todo", {"board": "b", "id": "a1"})
    assert await outcome(acting(store, caller, ruleset), operation) == expected
    after = await store.get_item("Todo", {"board": "b", "id": "a1"})
    if expected != "ok" and operation in ("update", "delete"):
        assert after == before, "a refused write must leave the item unchanged"


async def test_create_sets_the_owner_to_the_caller_whatever_the_client_sent(
    store: DocumentStore,
) -> None:
    actor = acting(store, BOB, "owner")
    await actor.create_item("Todo", {"board": "b", "id": "x", "owner": "alice"})
    item = await store.get_item("Todo", {"board": "b", "id": "x"})
    assert item is not None
    assert item["owner"] == "bob"


async def test_create_never_overwrites_someone_elses_item(store: DocumentStore) -> None:
    actor = acting(store, BOB, "owner")
    with pytest.raises(ConditionalCheckFailedError):
        await actor.create_item("Todo", {"board": "b", "id": "a1", "title": "hijack"})
    item = await store.get_item("Todo", {"board": "b", "id": "a1"})
    assert item is not None
    assert item["owner"] == "alice"


async def test_the_callers_own_condition_still_applies(store: DocumentStore) -> None:
    actor = acting(store, ALICE, "owner")
    with pytest.raises(ConditionalCheckFailedError):
        await actor.update_item(
            "Todo",
            {"board": "b", "id": "a1"},
            "SET title = :t",
            condition="title = :old",
            values={":t": "x", ":old": "something else"},
        )


async def test_an_owner_cannot_hand_an_item_to_someone_else(store: DocumentStore) -> None:
    actor = acting(store, ALICE, "owner")
    with pytest.raises(AccessDeniedError):
        await actor.update_item(
            "Todo",
            {"board": "b", "id": "a1"},
            "SET #o = :bob",
            names={"#o": "owner"},
            values={":bob": "bob"},
        )
    item = await store.get_item("Todo", {"board": "b", "id": "a1"})
    assert item is not None
    assert item["owner"] == "alice"


async def test_reserved_placeholders_are_refused(store: DocumentStore) -> None:
    actor = acting(store, BOB, "owner")
    with pytest.raises(ValidationError):
        await actor.query(
            "Todo",
            "board = :b",
            values={":b": "b", ":__auth_caller": "alice"},
        )


async def test_a_table_without_policy_is_closed(store: DocumentStore) -> None:
    actor = ActingStore(store, ADMIN, {})
    with pytest.raises(AccessDeniedError):
        await actor.get_item("Todo", {"board": "b", "id": "a1"})


async def test_owner_condition_holds_under_a_race(store: DocumentStore) -> None:
    """Alice's writes race an admin handing her items to bob: none lands on bob's item."""
    alice = acting(store, ALICE, "owner")
    rounds = 30
    for i in range(rounds):
        await store.put_item("Todo", {"board": "r", "id": str(i), "owner": "alice", "n": 0})
    start = await store.changes.latest_seq()

    async def alice_writes(i: int) -> None:
        for n in range(1, 4):
            try:
                await alice.update_item(
                    "Todo", {"board": "r", "id": str(i)}, "SET n = :n", values={":n": n}
                )
            except ItemNotFoundError:
                return

    async def hand_over(i: int) -> None:
        await store.update_item(
            "Todo",
            {"board": "r", "id": str(i)},
            "SET #o = :bob",
            names={"#o": "owner"},
            values={":bob": "bob"},
        )

    await asyncio.gather(*(f(i) for i in range(rounds) for f in (alice_writes, hand_over)))

    records = await store.changes.read(start, limit=10_000)
    alice_updates = [
        r
        for r in records
        if r.event == "MODIFY"
        and r.old_image
        and r.new_image
        and r.old_image.get("n") != r.new_image.get("n")
    ]
    assert alice_updates, "alice should have won some races"
    assert all(r.old_image and r.old_image["owner"] == "alice" for r in alice_updates)
