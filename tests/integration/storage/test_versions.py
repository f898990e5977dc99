"""A table's version attribute grows with every change, whoever writes and however."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from storage import (
    DocumentStore,
    KeyAttribute,
    PutRequest,
    TableSpec,
    TransactPut,
    TransactUpdate,
)
from storage.errors import ConditionalCheckFailedError

from .conftest import open_backend_store

KEY = {"id": "a"}


@pytest.fixture
async def versioned(store: DocumentStore) -> str:
    await store.create_table(
        TableSpec("versioned", KeyAttribute("id", "S"), version_attribute="version")
    )
    return "versioned"


async def _version(store: DocumentStore, table: str) -> Decimal:
    item = await store.get_item(table, KEY)
    assert item is not None
    version = item["version"]
    assert isinstance(version, Decimal)
    return version


async def test_every_kind_of_write_raises_the_version(store: DocumentStore, versioned: str) -> None:
    await store.put_item(versioned, {**KEY, "n": 1})
    assert await _version(store, versioned) == 1
    # A put that leaves it out, one echoing an older value, one with a non-number.
    await store.put_item(versioned, {**KEY, "n": 2})
    assert await _version(store, versioned) == 2
    await store.put_item(versioned, {**KEY, "n": 3, "version": 1})
    assert await _version(store, versioned) == 3
    await store.put_item(versioned, {**KEY, "n": 4, "version": "x"})
    assert await _version(store, versioned) == 4
    # Updates that do not touch it, that remove it, that set it back.
    new = await store.update_item(
        versioned, KEY, "SET n = :n", values={":n": 5}, return_values="ALL_NEW"
    )
    assert new is not None
    assert new["version"] == 5  # what the writer is answered is what is stored
    await store.update_item(versioned, KEY, "REMOVE version")
    assert await _version(store, versioned) == 6
    await store.update_item(versioned, KEY, "SET version = :v", values={":v": 2})
    assert await _version(store, versioned) == 7
    # Batches and transactions too.
    await store.batch_write({versioned: [PutRequest({**KEY, "n": 8})]})
    assert await _version(store, versioned) == 8
    await store.transact_write([TransactUpdate(versioned, KEY, "SET n = :n", values={":n": 9})])
    assert await _version(store, versioned) == 9


async def test_a_writer_that_raises_it_itself_gets_its_value(
    store: DocumentStore, versioned: str
) -> None:
    # DynamoDB-style optimistic locking by the client: its item is stored as sent.
    await store.put_item(versioned, {**KEY, "version": 41})
    assert await _version(store, versioned) == 41
    await store.update_item(
        versioned,
        KEY,
        "SET version = :next",
        condition="version = :current",
        values={":next": 42, ":current": 41},
    )
    assert await _version(store, versioned) == 42
    await store.transact_write([TransactPut(versioned, {**KEY, "version": 50})])
    assert await _version(store, versioned) == 50
    # Out of range for every client (GraphQL's Int): treated as not sent.
    await store.put_item(versioned, {**KEY, "version": 2**31})
    assert await _version(store, versioned) == 51


async def test_a_write_that_changes_nothing_keeps_the_version(
    store: DocumentStore, versioned: str
) -> None:
    await store.put_item(versioned, {**KEY, "n": 1})
    item = await store.get_item(versioned, KEY)
    assert item is not None
    await store.put_item(versioned, item)
    assert await _version(store, versioned) == 1


async def test_a_stale_version_condition_fails_after_any_change(
    store: DocumentStore, versioned: str
) -> None:
    await store.put_item(versioned, {**KEY, "n": 1})
    seen = await _version(store, versioned)
    # Someone else writes the item back with the version they read (a careless client).
    await store.put_item(versioned, {**KEY, "n": 2, "version": seen})
    with pytest.raises(ConditionalCheckFailedError):
        await store.update_item(
            versioned,
            KEY,
            "SET n = :n",
            condition="version = :seen",
            values={":n": 3, ":seen": seen},
        )


async def test_a_burst_of_writers_gets_one_version_each(
    store: DocumentStore, versioned: str
) -> None:
    await store.put_item(versioned, {**KEY, "n": 0})
    answers = await asyncio.gather(
        *(
            store.update_item(
                versioned, KEY, "SET n = :n", values={":n": i + 1}, return_values="ALL_NEW"
            )
            for i in range(40)
        )
    )
    versions = sorted(int(answer["version"]) for answer in answers if answer is not None)
    assert versions == list(range(2, 42))
    assert await _version(store, versioned) == 41


async def test_other_tables_and_the_attribute_when_unset(
    store: DocumentStore, versioned: str, simple: str
) -> None:
    await store.put_item(simple, {**KEY, "version": 7})
    await store.update_item(simple, KEY, "SET n = :n", values={":n": 1})
    assert await store.get_item(simple, KEY) == {**KEY, "version": 7, "n": 1}
    await store.update_version_attribute(versioned, None)
    await store.put_item(versioned, {**KEY, "n": 1})
    assert await store.get_item(versioned, KEY) == {**KEY, "n": 1}


async def test_the_attribute_is_kept_in_the_catalog(backend: str, location: str) -> None:
    async with await open_backend_store(backend, location) as store:
        await store.create_table(TableSpec("later", KeyAttribute("id", "S")))
        await store.put_item("later", {**KEY, "n": 1})
        await store.update_version_attribute("later", "version")
    async with await open_backend_store(backend, location) as store:
        assert (await store.table_spec("later")).version_attribute == "version"
        await store.update_item("later", KEY, "SET n = :n", values={":n": 2})
        assert await _version(store, "later") == 1  # 0 before: the item had none
