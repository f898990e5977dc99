"""Query and scan: key conditions, filters, projections, paging, Select, segments."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import DocumentStore, IndexProjection, IndexSpec, KeyAttribute, Page, TableSpec
from storage.errors import ValidationError
from storage.values import normalize_number
from tests.unit.storage.strategies import numbers as numbers_strategy


@pytest.fixture
async def numbers(store: DocumentStore, table: str) -> str:
    """Partition "p" holds sk 0..9 with parity; partition "q" holds sk 0..2."""
    for sk in range(10):
        await store.put_item(table, {"pk": "p", "sk": sk, "even": sk % 2 == 0, "tag": f"t{sk}"})
    for sk in range(3):
        await store.put_item(table, {"pk": "q", "sk": sk})
    return table


def sort_keys(page: Page) -> list[Any]:
    return [int(item["sk"]) for item in page.items]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ("pk = :p", {}, list(range(10))),
        ("pk = :p AND sk = :a", {":a": 3}, [3]),
        ("pk = :p AND sk < :a", {":a": 3}, [0, 1, 2]),
        ("pk = :p AND sk <= :a", {":a": 3}, [0, 1, 2, 3]),
        ("pk = :p AND sk > :a", {":a": 7}, [8, 9]),
        ("pk = :p AND sk >= :a", {":a": 7}, [7, 8, 9]),
        ("pk = :p AND sk BETWEEN :a AND :b", {":a": 2, ":b": 4}, [2, 3, 4]),
        ("sk BETWEEN :a AND :b AND pk = :p", {":a": 8, ":b": 20}, [8, 9]),
    ],
)
async def test_key_condition_operators(
    store: DocumentStore, numbers: str, condition: str, values: dict[str, Any], expected: list[int]
) -> None:
    page = await store.query(numbers, condition, values={":p": "p", **values})
    assert sort_keys(page) == expected
    backward = await store.query(numbers, condition, values={":p": "p", **values}, forward=False)
    assert sort_keys(backward) == expected[::-1]


async def test_begins_with_on_string_and_binary_sort_keys(store: DocumentStore) -> None:
    await store.create_table(TableSpec("strs", KeyAttribute("pk"), KeyAttribute("sk")))
    for sk in ["a", "ab", "abc", "abd", "b", "a\uffff", "ab\x7f"]:
        await store.put_item("strs", {"pk": "p", "sk": sk})
    page = await store.query(
        "strs", "pk = :p AND begins_with(sk, :x)", values={":p": "p", ":x": "ab"}
    )
    assert [item["sk"] for item in page.items] == ["ab", "abc", "abd", "ab\x7f"]
    await store.create_table(TableSpec("bins", KeyAttribute("pk"), KeyAttribute("sk", "B")))
    for binary in [b"\x01", b"\x01\xff", b"\x01\xff\x00", b"\x02"]:
        await store.put_item("bins", {"pk": "p", "sk": binary})
    page = await store.query(
        "bins", "pk = :p AND begins_with(sk, :x)", values={":p": "p", ":x": b"\x01\xff"}
    )
    assert [item["sk"] for item in page.items] == [b"\x01\xff", b"\x01\xff\x00"]


@pytest.mark.parametrize(
    ("condition", "values", "message"),
    [
        ("pk = :p AND begins_with(sk, :a)", {":a": 1}, "begins_with, operand type: N"),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            {":a": 5, ":b": 1},
            "BETWEEN operator requires upper bound",
        ),
        (
            "pk = :p AND sk = :a",
            {":a": "text"},
            "Condition parameter type does not match schema type",
        ),
        ("sk = :a", {":a": 1}, "Query condition missed key schema element: pk"),
    ],
)
async def test_bad_key_conditions_are_refused(
    store: DocumentStore, numbers: str, condition: str, values: dict[str, Any], message: str
) -> None:
    values = {**values, ":p": "p"} if ":p" in condition else values
    with pytest.raises(ValidationError, match=message):
        await store.query(numbers, condition, values=values)


async def test_limit_counts_items_evaluated_before_the_filter(
    store: DocumentStore, numbers: str
) -> None:
    page = await store.query(
        numbers, "pk = :p", filter="even = :t", values={":p": "p", ":t": True}, limit=3
    )
    assert sort_keys(page) == [0, 2]
    assert (page.count, page.scanned_count) == (2, 3)
    assert page.last_evaluated_key == {"pk": "p", "sk": Decimal(2)}


async def test_pagination_visits_every_item_once_both_ways(
    store: DocumentStore, numbers: str
) -> None:
    for forward in (True, False):
        seen: list[int] = []
        start = None
        while True:
            page = await store.query(
                numbers,
                "pk = :p",
                values={":p": "p"},
                limit=3,
                exclusive_start_key=start,
                forward=forward,
            )
            seen += sort_keys(page)
            start = page.last_evaluated_key
            if start is None:
                break
        assert seen == (list(range(10)) if forward else list(range(9, -1, -1)))


async def test_projection_and_select(store: DocumentStore, numbers: str) -> None:
    page = await store.query(
        numbers, "pk = :p AND sk < :a", projection="tag", values={":p": "p", ":a": 2}
    )
    assert page.items == [{"tag": "t0"}, {"tag": "t1"}]
    page = await store.query(numbers, "pk = :p", select="COUNT", values={":p": "p"})
    assert (page.items, page.count, page.scanned_count) == ([], 10, 10)
    with pytest.raises(ValidationError, match="ALL_PROJECTED_ATTRIBUTES"):
        await store.query(numbers, "pk = :p", select="ALL_PROJECTED_ATTRIBUTES", values={":p": "p"})
    with pytest.raises(ValidationError, match="SPECIFIC_ATTRIBUTES"):
        await store.query(numbers, "pk = :p", select="SPECIFIC_ATTRIBUTES", values={":p": "p"})
    with pytest.raises(ValidationError, match="ProjectionExpression"):
        await store.query(numbers, "pk = :p", select="COUNT", projection="tag", values={":p": "p"})
    with pytest.raises(ValidationError, match="limit"):
        await store.query(numbers, "pk = :p", limit=0, values={":p": "p"})


async def test_query_on_an_index(store: DocumentStore) -> None:
    await store.create_table(
        TableSpec(
            "people",
            KeyAttribute("id"),
            indexes=(
                IndexSpec("byCity", KeyAttribute("city"), KeyAttribute("age", "N")),
                IndexSpec(
                    "cityKeys", KeyAttribute("city"), projection=IndexProjection("KEYS_ONLY")
                ),
                IndexSpec(
                    "cityNames",
                    KeyAttribute("city"),
                    projection=IndexProjection("INCLUDE", ("name",)),
                ),
            ),
        )
    )
    for number, (city, age) in enumerate([("Oslo", 30), ("Oslo", 20), ("Rome", 40), ("Oslo", 20)]):
        await store.put_item(
            "people", {"id": f"u{number}", "city": city, "age": age, "name": f"n{number}", "x": 1}
        )
    await store.put_item("people", {"id": "nocity", "age": 1})  # absent from the indexes
    page = await store.query(
        "people", "city = :c AND age >= :a", index="byCity", values={":c": "Oslo", ":a": 20}
    )
    assert [(item["id"], item["age"]) for item in page.items] == [
        ("u1", 20),
        ("u3", 20),
        ("u0", 30),
    ]
    first = await store.query("people", "city = :c", index="byCity", values={":c": "Oslo"}, limit=2)
    assert first.last_evaluated_key == {"id": "u3", "city": "Oslo", "age": Decimal(20)}
    rest = await store.query(
        "people",
        "city = :c",
        index="byCity",
        values={":c": "Oslo"},
        exclusive_start_key=first.last_evaluated_key,
    )
    assert [item["id"] for item in rest.items] == ["u0"]
    keys = await store.query("people", "city = :c", index="cityKeys", values={":c": "Rome"})
    assert keys.items == [{"id": "u2", "city": "Rome"}]
    names = await store.query("people", "city = :c", index="cityNames", values={":c": "Rome"})
    assert names.items == [{"id": "u2", "city": "Rome", "name": "n2"}]
    with pytest.raises(
        ValidationError, match="Consistent reads are not supported on global secondary indexes"
    ):
        await store.query(
            "people", "city = :c", index="byCity", values={":c": "Rome"}, consistent=True
        )
    with pytest.raises(ValidationError, match="projection type is not ALL"):
        await store.query(
            "people", "city = :c", index="cityKeys", values={":c": "Rome"}, select="ALL_ATTRIBUTES"
        )


async def test_a_page_stops_at_one_megabyte_read(store: DocumentStore, table: str) -> None:
    for sk in range(12):
        await store.put_item(
            table, {"pk": "big", "sk": sk, "blob": "x" * 100_000, "keep": sk == 11}
        )
    page = await store.query(table, "pk = :p", filter="keep = :t", values={":p": "big", ":t": True})
    assert page.scanned_count == 11  # the 11th item crosses 1 MB, read before the filter
    assert page.items == []
    assert page.last_evaluated_key == {"pk": "big", "sk": Decimal(10)}
    rest = await store.query(
        table, "pk = :p", values={":p": "big"}, exclusive_start_key=page.last_evaluated_key
    )
    assert sort_keys(rest) == [11]


async def test_scan_filter_projection_and_paging(store: DocumentStore, numbers: str) -> None:
    everything = await store.scan(numbers)
    assert everything.count == 13
    assert everything.last_evaluated_key is None
    seen = []
    start = None
    while True:
        page = await store.scan(numbers, limit=4, exclusive_start_key=start, projection="pk, sk")
        seen += [(item["pk"], item["sk"]) for item in page.items]
        start = page.last_evaluated_key
        if start is None:
            break
    assert seen == [(item["pk"], item["sk"]) for item in everything.items]
    evens = await store.scan(numbers, filter="even = :t", values={":t": True})
    assert evens.count == 5
    assert evens.scanned_count == 13


async def test_parallel_scan_segments_partition_the_table(
    store: DocumentStore, simple: str
) -> None:
    for number in range(40):
        await store.put_item(simple, {"id": f"item{number}"})
    total = 4
    segments = [await store.scan(simple, segment=s, total_segments=total) for s in range(total)]
    ids = [item["id"] for page in segments for item in page.items]
    assert sorted(ids) == sorted(f"item{n}" for n in range(40))  # type: ignore[type-var]
    assert len(set(ids)) == 40
    assert sum(1 for page in segments if page.items) > 1
    # Scan order is hash order: the segments concatenated give the full scan.
    assert ids == [item["id"] for item in (await store.scan(simple)).items]


@pytest.mark.parametrize(
    ("segment", "total", "message"),
    [
        (0, None, "TotalSegments parameter is required"),
        (None, 2, "Segment parameter is required"),
        (2, 2, "out of bounds"),
        (0, 0, "totalSegments"),
    ],
)
async def test_bad_segments_are_refused(
    store: DocumentStore, simple: str, segment: int | None, total: int | None, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        await store.scan(simple, segment=segment, total_segments=total)


async def test_scan_of_an_index_and_index_maintenance(store: DocumentStore) -> None:
    await store.create_table(
        TableSpec(
            "tasks", KeyAttribute("id"), indexes=(IndexSpec("byOwner", KeyAttribute("owner")),)
        )
    )
    for number in range(6):
        await store.put_item("tasks", {"id": f"t{number}", "owner": f"o{number % 2}"})
    await store.put_item("tasks", {"id": "unowned"})
    await store.delete_item("tasks", {"id": "t0"})
    await store.update_item("tasks", {"id": "t1"}, "REMOVE #o", names={"#o": "owner"})
    await store.update_item(
        "tasks", {"id": "t2"}, "SET #o = :o", names={"#o": "owner"}, values={":o": "o1"}
    )
    page = await store.scan("tasks", index="byOwner")
    assert sorted((item["owner"], item["id"]) for item in page.items) == [
        ("o0", "t4"),
        ("o1", "t2"),
        ("o1", "t3"),
        ("o1", "t5"),
    ]
    first = await store.scan("tasks", index="byOwner", limit=2)
    rest = await store.scan("tasks", index="byOwner", exclusive_start_key=first.last_evaluated_key)
    assert first.items + rest.items == page.items


async def test_a_start_key_from_another_partition_is_refused(
    store: DocumentStore, numbers: str
) -> None:
    with pytest.raises(ValidationError, match="outside query boundaries"):
        await store.query(
            numbers, "pk = :p", values={":p": "p"}, exclusive_start_key={"pk": "q", "sk": 1}
        )
    with pytest.raises(ValidationError, match="starting key is invalid"):
        await store.query(numbers, "pk = :p", values={":p": "p"}, exclusive_start_key={"pk": "p"})


_partitions = itertools.count()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(numbers_strategy, min_size=1, max_size=15, unique_by=normalize_number))
async def test_number_sort_keys_come_back_in_numeric_order(
    store: DocumentStore, table: str, sort_keys_in: list[Decimal]
) -> None:
    partition = f"h{next(_partitions)}"  # the store fixture is shared by all examples
    for sort_key in sort_keys_in:
        await store.put_item(table, {"pk": partition, "sk": sort_key})
    page = await store.query(table, "pk = :p", values={":p": partition})
    assert [item["sk"] for item in page.items] == sorted(normalize_number(n) for n in sort_keys_in)


async def test_a_query_filter_cannot_use_key_attributes(store: DocumentStore, numbers: str) -> None:
    with pytest.raises(ValidationError, match="Primary key attribute: sk"):
        await store.query(
            numbers,
            "pk = :p",
            filter="sk > :a OR even = :t",
            values={":p": "p", ":a": 1, ":t": True},
        )
    page = await store.scan(numbers, filter="sk > :a", values={":a": 8})  # fine in a scan
    assert sort_keys(page) == [9]
