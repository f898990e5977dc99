"""The ActingStore applies a model's write rules on a real store, for every caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from auth.acting_store import ActingStore, TablePolicy
from auth.errors import InvalidRequestError, ItemNotFoundError
from auth.models import PartitionKey, declare_model, generated_id
from auth.rules import Caller, allow
from storage import DocumentStore, SqliteConfig, TransactPut, TransactUpdate, open_store
from storage.errors import ConditionalCheckFailedError


class Card:
    id: PartitionKey[str] = generated_id()
    title: str
    done: bool = False
    note: str | None = None


CARD = declare_model(Card, rules=[allow.owner(), allow.groups("admin")], table="cards")
ALICE = Caller.user("alice")
BOB = Caller.user("bob")
SYSTEM = Caller.system()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[DocumentStore]:
    async with await open_store(SqliteConfig(tmp_path / "models.sqlite3")) as opened:
        await opened.create_table(CARD.table_spec())
        yield opened


def acting(store: DocumentStore, caller: Caller) -> ActingStore:
    return ActingStore(store, caller, {"cards": TablePolicy.of_model(CARD)})


async def test_a_raw_create_is_completed_by_the_model(store: DocumentStore) -> None:
    created = await acting(store, ALICE).create_item("cards", {"title": "t", "version": 7})
    stored = await store.get_item("cards", {"id": created["id"]})
    assert stored == created
    assert stored["done"] is False
    assert stored["owner"] == "alice"
    assert stored["version"] == 1
    assert stored["created_at"] == stored["updated_at"]
    with pytest.raises(InvalidRequestError, match="'title' is required"):
        await acting(store, SYSTEM).create_item("cards", {"id": "c9"})


async def test_every_update_bumps_version_and_updated_at_for_every_caller(
    store: DocumentStore,
) -> None:
    created = await acting(store, ALICE).create_item("cards", {"id": "c1", "title": "t"})
    for caller, version in ((ALICE, 2), (SYSTEM, 3)):
        new = await acting(store, caller).update_item(
            "cards", {"id": "c1"}, "SET title = :t", values={":t": f"t{version}"}
        )
        assert new is not None
        assert new["version"] == version
        assert new["updated_at"] >= created["updated_at"]
        assert new["created_at"] == created["created_at"]
    with pytest.raises(InvalidRequestError, match="set by the server"):
        await acting(store, SYSTEM).update_item(
            "cards", {"id": "c1"}, "SET version = :v", values={":v": 1}
        )


async def test_expected_version_is_checked_with_the_write(store: DocumentStore) -> None:
    actor = acting(store, ALICE)
    await actor.create_item("cards", {"id": "c1", "title": "t"})
    # A change alice missed. (A bare touch, "", may change nothing: within the millisecond
    # of the last write updated_at stays as it was, and a write that changes nothing keeps
    # the version, see storage/versions.py.)
    await acting(store, SYSTEM).update_item(
        "cards", {"id": "c1"}, "SET note = :n", values={":n": "system's"}
    )
    with pytest.raises(ConditionalCheckFailedError):
        await actor.update_item(
            "cards", {"id": "c1"}, "SET done = :y", values={":y": True}, expected_version=1
        )
    with pytest.raises(ConditionalCheckFailedError):
        await actor.delete_item("cards", {"id": "c1"}, expected_version=1)
    updated = await actor.update_item(
        "cards", {"id": "c1"}, "SET done = :y", values={":y": True}, expected_version=2
    )
    assert updated is not None
    assert updated["version"] == 3
    # Someone else's item answers as a missing one, version or not.
    with pytest.raises(ItemNotFoundError):
        await acting(store, BOB).update_item("cards", {"id": "c1"}, "", expected_version=3)


async def test_one_writer_of_a_burst_wins_each_version(store: DocumentStore) -> None:
    actor = acting(store, ALICE)
    await actor.create_item("cards", {"id": "c1", "title": "t"})

    async def attempt(i: int) -> bool:
        try:
            await actor.update_item(
                "cards", {"id": "c1"}, "SET title = :t", values={":t": str(i)}, expected_version=1
            )
        except ConditionalCheckFailedError:
            return False
        return True

    results = await asyncio.gather(*(attempt(i) for i in range(20)))
    assert results.count(True) == 1
    stored = await store.get_item("cards", {"id": "c1"})
    assert stored is not None
    assert stored["version"] == 2


async def test_a_put_creates_or_replaces_under_the_rules(store: DocumentStore) -> None:
    actor = acting(store, ALICE)
    first = await actor.put_item("cards", {"id": "c1", "title": "t", "note": "n"})
    assert first["version"] == 1
    assert first["done"] is False
    second = await actor.put_item("cards", {"id": "c1", "title": "t2", "version": 1})
    assert second["version"] == 2
    assert second["created_at"] == first["created_at"]
    assert "note" not in second  # not given: a put replaces
    assert second["owner"] == "alice"
    with pytest.raises(ItemNotFoundError):  # bob may not replace alice's card
        await acting(store, BOB).put_item("cards", {"id": "c1", "title": "bob's"})
    stored = await store.get_item("cards", {"id": "c1"})
    assert stored == second
    with pytest.raises(ConditionalCheckFailedError):
        await actor.put_item(
            "cards", {"id": "c1", "title": "t3"}, condition="done = :y", values={":y": True}
        )


async def test_a_transaction_writes_as_single_writes_do(store: DocumentStore) -> None:
    actor = acting(store, ALICE)
    await actor.create_item("cards", {"id": "c1", "title": "t"})
    keys = await actor.transact_write(
        [
            TransactPut("cards", {"title": "new"}),
            TransactUpdate("cards", {"id": "c1"}, "SET done = :y", values={":y": True}),
        ]
    )
    created = await store.get_item("cards", keys[0])
    updated = await store.get_item("cards", {"id": "c1"})
    assert created is not None
    assert updated is not None
    assert (created["version"], created["owner"], created["done"]) == (1, "alice", False)
    assert (updated["version"], updated["done"]) == (2, True)
    with pytest.raises(InvalidRequestError, match="set by the server"):
        await actor.transact_write(
            [TransactUpdate("cards", {"id": "c1"}, "ADD version :one", values={":one": Decimal(1)})]
        )
