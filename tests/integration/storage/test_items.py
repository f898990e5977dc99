"""Single-item operations: put, get, update, delete, conditions, ReturnValues, limits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from storage import DocumentStore, KeyAttribute, SqliteConfig, TableSpec, open_store
from storage.errors import ConditionalCheckFailedError, ValidationError

from .conftest import open_backend_store

EVERY_TYPE: dict[str, Any] = {
    "pk": "p",
    "sk": 1,
    "s": "text",
    "empty": "",
    "n": Decimal("-12.5"),
    "big": Decimal("1234567890123456789012345678901234567.8"),
    "b": b"\x00\xff",
    "empty_b": b"",
    "t": True,
    "z": None,
    "l": [1, "two", [b"3"]],
    "m": {"nested": {"deep": [True]}},
    "ss": {"a", "b"},
    "ns": {Decimal(1), Decimal("2.5")},
    "bs": {b"x", b"y"},
}


async def test_every_type_round_trips(store: DocumentStore, table: str) -> None:
    await store.put_item(table, EVERY_TYPE)
    got = await store.get_item(table, {"pk": "p", "sk": 1}, consistent=True)
    assert got == {**EVERY_TYPE, "sk": Decimal(1)}
    assert await store.get_item(table, {"pk": "p", "sk": 2}) is None


async def test_get_with_projection(store: DocumentStore, table: str) -> None:
    await store.put_item(table, EVERY_TYPE)
    got = await store.get_item(
        table, {"pk": "p", "sk": 1}, projection="s, #m.nested, l[1]", names={"#m": "m"}
    )
    assert got == {"s": "text", "m": {"nested": {"deep": [True]}}, "l": ["two"]}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"sk": 1}, "Missing the key pk in the item"),
        ({"pk": "p"}, "Missing the key sk in the item"),
        ({"pk": 1, "sk": 1}, "Type mismatch for key pk expected: S actual: N"),
        ({"pk": "", "sk": 1}, "cannot contain an empty string value. Key: pk"),
        ({"pk": "p", "sk": 1, "f": 1.5}, "Float types are not supported"),
        ({"pk": "p", "sk": 1, "s": set()}, "may not be empty"),
        (
            {"pk": "x" * 2049, "sk": 1},
            "Size of hashkey has exceeded the maximum size limit of 2048",
        ),
        (
            {"pk": "p", "sk": 1, "big": "x" * 400 * 1024},
            "Item size has exceeded the maximum allowed size",
        ),
    ],
)
async def test_invalid_items_are_refused(
    store: DocumentStore, table: str, item: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        await store.put_item(table, item)


async def test_key_size_limits(store: DocumentStore) -> None:
    await store.create_table(TableSpec("keys", KeyAttribute("pk"), KeyAttribute("sk")))
    await store.put_item("keys", {"pk": "x" * 2048, "sk": "y" * 1024})
    with pytest.raises(ValidationError, match="1024"):
        await store.put_item("keys", {"pk": "x", "sk": "y" * 1025})


async def test_get_with_a_wrong_key_is_refused(store: DocumentStore, table: str) -> None:
    with pytest.raises(ValidationError, match="does not match the schema"):
        await store.get_item(table, {"pk": "p"})
    with pytest.raises(ValidationError, match="does not match the schema"):
        await store.get_item(table, {"pk": "p", "sk": 1, "other": 1})


async def test_conditional_put(store: DocumentStore, simple: str) -> None:
    await store.put_item(simple, {"id": "a", "v": 1}, condition="attribute_not_exists(id)")
    with pytest.raises(ConditionalCheckFailedError, match="The conditional request failed") as info:
        await store.put_item(simple, {"id": "a", "v": 2}, condition="attribute_not_exists(id)")
    assert info.value.item is None
    with pytest.raises(ConditionalCheckFailedError) as info:
        await store.put_item(
            simple,
            {"id": "a", "v": 2},
            condition="v = :two",
            values={":two": 2},
            return_values_on_condition_check_failure="ALL_OLD",
        )
    assert info.value.item == {"id": "a", "v": 1}
    assert await store.get_item(simple, {"id": "a"}) == {"id": "a", "v": 1}


async def test_update_creates_modifies_and_uses_expressions(
    store: DocumentStore, simple: str
) -> None:
    await store.update_item(
        simple,
        {"id": "c"},
        "SET n = if_not_exists(n, :zero) + :one",
        values={":zero": 0, ":one": 1},
    )
    await store.update_item(
        simple, {"id": "c"}, "SET n = n + :one ADD tags :t", values={":one": 1, ":t": {"x"}}
    )
    assert await store.get_item(simple, {"id": "c"}) == {"id": "c", "n": 2, "tags": {"x"}}
    with pytest.raises(ConditionalCheckFailedError):
        await store.update_item(
            simple, {"id": "c"}, "SET n = :v", condition="n > :v", values={":v": 5}
        )


async def test_updating_a_key_attribute_is_refused(store: DocumentStore, table: str) -> None:
    with pytest.raises(
        ValidationError, match=r"Cannot update attribute sk\. This attribute is part of the key"
    ):
        await store.update_item(table, {"pk": "p", "sk": 1}, "SET sk = :v", values={":v": 2})


async def test_update_beyond_the_size_limit_is_refused(store: DocumentStore, simple: str) -> None:
    await store.put_item(simple, {"id": "a", "x": "x" * 300_000})
    with pytest.raises(ValidationError, match="Item size to update has exceeded"):
        await store.update_item(simple, {"id": "a"}, "SET y = x")


async def test_delete_with_condition(store: DocumentStore, simple: str) -> None:
    await store.put_item(simple, {"id": "a", "v": 1})
    with pytest.raises(ConditionalCheckFailedError):
        await store.delete_item(simple, {"id": "a"}, condition="v = :v", values={":v": 2})
    old = await store.delete_item(
        simple, {"id": "a"}, condition="v = :v", values={":v": 1}, return_values="ALL_OLD"
    )
    assert old == {"id": "a", "v": 1}
    assert await store.get_item(simple, {"id": "a"}) is None
    assert await store.delete_item(simple, {"id": "a"}, return_values="ALL_OLD") is None


async def test_unused_placeholders_are_refused(store: DocumentStore, simple: str) -> None:
    with pytest.raises(ValidationError, match="unused"):
        await store.put_item(simple, {"id": "a"}, values={":x": 1})


# ReturnValues per operation (DynamoDB API reference: PutItem, UpdateItem, DeleteItem).
OLD = {"id": "a", "x": Decimal(1), "y": Decimal(1)}
NEW = {"id": "a", "x": Decimal(2), "y": Decimal(1)}


@pytest.mark.parametrize(
    ("operation", "return_values", "expected"),
    [
        ("put", "NONE", None),
        ("put", "ALL_OLD", OLD),
        ("put", "ALL_NEW", ValidationError),
        ("put", "UPDATED_OLD", ValidationError),
        ("put", "UPDATED_NEW", ValidationError),
        ("update", "NONE", None),
        ("update", "ALL_OLD", OLD),
        ("update", "ALL_NEW", NEW),
        ("update", "UPDATED_OLD", {"x": Decimal(1)}),
        ("update", "UPDATED_NEW", {"x": Decimal(2)}),
        ("update", "EVERYTHING", ValidationError),
        ("delete", "NONE", None),
        ("delete", "ALL_OLD", OLD),
        ("delete", "ALL_NEW", ValidationError),
        ("delete", "UPDATED_NEW", ValidationError),
    ],
)
async def test_return_values(
    store: DocumentStore, simple: str, operation: str, return_values: str, expected: Any
) -> None:
    await store.put_item(simple, OLD)

    async def run() -> Any:
        if operation == "put":
            return await store.put_item(simple, NEW, return_values=return_values)
        if operation == "update":
            return await store.update_item(
                simple, {"id": "a"}, "SET x = :x", values={":x": 2}, return_values=return_values
            )
        return await store.delete_item(simple, {"id": "a"}, return_values=return_values)

    if expected is ValidationError:
        with pytest.raises(ValidationError):
            await run()
        assert await store.get_item(simple, {"id": "a"}) == OLD  # nothing was written
    else:
        assert await run() == expected


async def test_return_values_on_condition_check_failure_is_none_or_all_old(
    store: DocumentStore, simple: str
) -> None:
    with pytest.raises(ValidationError):
        await store.put_item(
            simple, {"id": "a"}, return_values_on_condition_check_failure="ALL_NEW"
        )


async def test_update_of_a_missing_item_creates_it(store: DocumentStore, table: str) -> None:
    new = await store.update_item(
        table, {"pk": "p", "sk": 7}, "SET a = :a", values={":a": "x"}, return_values="ALL_NEW"
    )
    assert new == {"pk": "p", "sk": 7, "a": "x"}
    assert (
        await store.update_item(
            table,
            {"pk": "p", "sk": 8},
            "SET a = :a",
            values={":a": "x"},
            return_values="UPDATED_OLD",
        )
        is None
    )


async def test_open_store_works_awaited_and_as_a_context_manager(tmp_path: Path) -> None:
    store = await open_store(SqliteConfig(tmp_path / "a.db"))
    await store.create_table(TableSpec("tbl", KeyAttribute("id")))
    await store.put_item("tbl", {"id": "x"})
    await store.close()
    async with open_store(SqliteConfig(tmp_path / "a.db")) as reopened:
        assert await reopened.get_item("tbl", {"id": "x"}) == {"id": "x"}


async def test_a_consistent_read_sees_every_acknowledged_write_of_another_store(
    backend: str, location: str, store: DocumentStore, simple: str
) -> None:
    async with await open_backend_store(backend, location) as other:
        for number in range(50):
            await other.put_item(simple, {"id": "x", "n": number})
            assert await store.get_item(simple, {"id": "x"}, consistent=True) == {
                "id": "x",
                "n": number,
            }
