"""query_partitions: what a loop of Query calls answers, page for page, in one call."""

from __future__ import annotations

from typing import Any

import pytest

from storage import DocumentStore, IndexSpec, KeyAttribute, PartitionQuery, TableSpec
from storage.errors import ValidationError


@pytest.fixture
async def rows(store: DocumentStore) -> str:
    """Partitions a (5 items), b (2), c (none); an index by colour."""
    spec = TableSpec(
        "rows",
        KeyAttribute("pk", "S"),
        KeyAttribute("sk", "N"),
        indexes=(IndexSpec("by_colour", KeyAttribute("colour"), KeyAttribute("sk", "N")),),
    )
    await store.create_table(spec)
    for pk, count in (("a", 5), ("b", 2)):
        for sk in range(count):
            colour = "red" if sk % 2 == 0 else "blue"
            await store.put_item("rows", {"pk": pk, "sk": sk, "colour": colour, "n": sk})
    return "rows"


def keys(items: list[dict[str, Any]]) -> list[tuple[Any, int]]:
    return [(item["pk"], int(item["sk"])) for item in items]


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [None, 1, 3])
@pytest.mark.parametrize("filtered", [False, True])
async def test_each_page_is_the_page_a_query_answers(
    store: DocumentStore, rows: str, forward: bool, limit: int | None, filtered: bool
) -> None:
    options: dict[str, Any] = {"limit": limit, "forward": forward}
    if filtered:
        options |= {"filter": "#n >= :n", "names": {"#n": "n"}, "values": {":n": 1}}
    pages = await store.query_partitions(
        rows, [PartitionQuery(pk) for pk in ("a", "b", "c")], **options
    )
    for pk, page in zip(("a", "b", "c"), pages, strict=True):
        names = {"#p": "pk", **options.get("names", {})}
        values = {":p": pk, **options.get("values", {})}
        expected = await store.query(
            rows,
            "#p = :p",
            **{**options, "names": names, "values": values},
        )
        assert keys(page.items) == keys(expected.items)
        assert page.last_evaluated_key == expected.last_evaluated_key
        assert page.scanned_count == expected.scanned_count


async def test_each_partition_continues_from_its_own_start_key(
    store: DocumentStore, rows: str
) -> None:
    first = await store.query_partitions(rows, [PartitionQuery("a"), PartitionQuery("b")], limit=2)
    assert [keys(page.items) for page in first] == [[("a", 0), ("a", 1)], [("b", 0), ("b", 1)]]
    starts = [page.last_evaluated_key for page in first]
    assert all(starts)
    rest = await store.query_partitions(
        rows, [PartitionQuery("a", starts[0]), PartitionQuery("b", starts[1])], limit=2
    )
    assert [keys(page.items) for page in rest] == [[("a", 2), ("a", 3)], []]


async def test_an_index_is_queried_by_its_own_partition_key(
    store: DocumentStore, rows: str
) -> None:
    pages = await store.query_partitions(
        rows, [PartitionQuery("red"), PartitionQuery("blue")], index="by_colour"
    )
    assert sorted(keys(pages[0].items)) == [("a", 0), ("a", 2), ("a", 4), ("b", 0)]
    assert sorted(keys(pages[1].items)) == [("a", 1), ("a", 3), ("b", 1)]


@pytest.mark.parametrize(
    "partitions",
    [
        [],  # nothing to read
        [PartitionQuery(1)],  # a number where the key is a string
        [PartitionQuery("a", {"pk": "b", "sk": 0})],  # a start key of another partition
    ],
)
async def test_a_request_a_query_would_refuse_is_refused(
    store: DocumentStore, rows: str, partitions: list[PartitionQuery]
) -> None:
    with pytest.raises(ValidationError):
        await store.query_partitions(rows, partitions)


async def test_a_filter_on_the_partition_key_is_refused_as_in_a_query(
    store: DocumentStore, rows: str
) -> None:
    with pytest.raises(ValidationError, match="primary key"):
        await store.query_partitions(
            rows, [PartitionQuery("a")], filter="#p = :p", names={"#p": "pk"}, values={":p": "a"}
        )
