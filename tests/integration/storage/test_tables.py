"""Table lifecycle: create, describe, list, update (GSIs, TTL), delete."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage import DocumentStore, IndexProjection, IndexSpec, KeyAttribute, TableSpec
from storage.errors import ResourceInUseError, ResourceNotFoundError, ValidationError


async def test_create_describe_list_delete(store: DocumentStore) -> None:
    spec = TableSpec(
        "orders",
        KeyAttribute("customer", "S"),
        KeyAttribute("placed", "N"),
        indexes=(
            IndexSpec("byStatus", KeyAttribute("status"), KeyAttribute("placed", "N")),
            IndexSpec("keys", KeyAttribute("sku", "B"), projection=IndexProjection("KEYS_ONLY")),
            IndexSpec(
                "some",
                KeyAttribute("region"),
                projection=IndexProjection("INCLUDE", ("total",)),
            ),
        ),
        ttl_attribute="expires",
    )
    created = await store.create_table(spec)
    assert created.spec == spec
    assert created.status == "ACTIVE"
    await store.put_item("orders", {"customer": "c", "placed": 1, "total": 5})
    described = await store.describe_table("orders")
    assert (described.spec, described.item_count) == (spec, 1)
    assert described.size_bytes > 0
    assert await store.list_tables() == ["orders"]
    await store.delete_table("orders")
    assert await store.list_tables() == []
    with pytest.raises(ResourceNotFoundError):
        await store.describe_table("orders")


async def test_creating_an_existing_table_is_refused(store: DocumentStore, simple: str) -> None:
    with pytest.raises(ResourceInUseError, match="Table already exists: simple"):
        await store.create_table(TableSpec(simple, KeyAttribute("id")))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ab", "length greater than or equal to 3"),
        ("a" * 256, "length less than or equal to 255"),
        ("bad name", "regular expression pattern"),
        ("bad/name", "regular expression pattern"),
    ],
)
async def test_table_and_index_names_follow_dynamodb_rules(
    store: DocumentStore, name: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        await store.create_table(TableSpec(name, KeyAttribute("id")))
    with pytest.raises(ValidationError, match=message):
        await store.create_table(
            TableSpec("fine", KeyAttribute("id"), indexes=(IndexSpec(name, KeyAttribute("x")),))
        )


async def test_bad_key_types_are_refused(store: DocumentStore) -> None:
    with pytest.raises(ValidationError):
        await store.create_table(TableSpec("tbl", KeyAttribute("id", "BOOL")))  # type: ignore[arg-type]


async def test_operations_on_a_missing_table(store: DocumentStore) -> None:
    with pytest.raises(ResourceNotFoundError):
        await store.put_item("nope", {"id": "x"})
    with pytest.raises(ResourceNotFoundError):
        await store.get_item("nope", {"id": "x"})
    with pytest.raises(ResourceNotFoundError):
        await store.delete_table("nope")


async def test_adding_an_index_back_fills_it_and_removing_drops_it(
    store: DocumentStore, simple: str
) -> None:
    for number in range(5):
        await store.put_item(
            simple, {"id": f"i{number}", "colour": "red" if number % 2 else "blue"}
        )
    await store.put_item(simple, {"id": "wrong", "colour": Decimal(1)})  # not an S: skipped
    await store.update_table(
        simple, create_indexes=(IndexSpec("byColour", KeyAttribute("colour")),)
    )
    page = await store.query(simple, "colour = :c", index="byColour", values={":c": "red"})
    assert sorted(item["id"] for item in page.items) == ["i1", "i3"]  # type: ignore[type-var]
    # New writes maintain it.
    await store.put_item(simple, {"id": "i1", "colour": "blue"})
    page = await store.query(simple, "colour = :c", index="byColour", values={":c": "red"})
    assert [item["id"] for item in page.items] == ["i3"]
    await store.update_table(simple, delete_indexes=("byColour",))
    with pytest.raises(ValidationError, match="does not have the specified index"):
        await store.query(simple, "colour = :c", index="byColour", values={":c": "red"})
    with pytest.raises(ResourceNotFoundError):
        await store.update_table(simple, delete_indexes=("byColour",))


async def test_index_key_of_the_wrong_type_is_refused_on_write(store: DocumentStore) -> None:
    await store.create_table(
        TableSpec("tbl", KeyAttribute("id"), indexes=(IndexSpec("byN", KeyAttribute("n", "N")),))
    )
    with pytest.raises(ValidationError, match="Type mismatch for Index Key"):
        await store.put_item("tbl", {"id": "a", "n": "not a number"})


async def test_ttl_attribute_can_be_set_and_cleared(store: DocumentStore, simple: str) -> None:
    await store.update_ttl(simple, "expires")
    assert (await store.describe_table(simple)).spec.ttl_attribute == "expires"
    await store.update_ttl(simple, None)
    assert (await store.describe_table(simple)).spec.ttl_attribute is None


async def test_table_spec_answers_the_spec_alone(store: DocumentStore) -> None:
    spec = TableSpec("specs", KeyAttribute("id"))
    await store.create_table(spec)
    assert await store.table_spec("specs") == spec
    await store.delete_table("specs")
    with pytest.raises(ResourceNotFoundError):
        await store.table_spec("specs")
