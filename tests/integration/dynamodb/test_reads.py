"""Query and Scan through boto3, page by page and with the SDK's paginators."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def filled(client: Any, table: str) -> str:
    with_writer = [
        {
            "PutRequest": {
                "Item": {"pk": {"S": "p"}, "sk": {"N": str(i)}, "odd": {"BOOL": i % 2 == 1}}
            }
        }
        for i in range(25)
    ]
    client.batch_write_item(RequestItems={table: with_writer})
    client.put_item(TableName=table, Item={"pk": {"S": "other"}, "sk": {"N": "0"}})
    return table


def test_query_pages_through_a_partition_in_order(client: Any, filled: str) -> None:
    pages = list(
        client.get_paginator("query").paginate(
            TableName=filled,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            PaginationConfig={"PageSize": 10},
        )
    )
    assert [page["Count"] for page in pages] == [10, 10, 5]
    sort_keys = [int(item["sk"]["N"]) for page in pages for item in page["Items"]]
    assert sort_keys == list(range(25))


def test_query_backwards_with_a_sort_key_condition_and_filter(client: Any, filled: str) -> None:
    result = client.query(
        TableName=filled,
        KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi",
        FilterExpression="odd = :t",
        ExpressionAttributeValues={
            ":p": {"S": "p"},
            ":lo": {"N": "10"},
            ":hi": {"N": "15"},
            ":t": {"BOOL": True},
        },
        ScanIndexForward=False,
    )
    assert [int(item["sk"]["N"]) for item in result["Items"]] == [15, 13, 11]
    assert result["ScannedCount"] == 6


def test_query_count_only(client: Any, filled: str) -> None:
    result = client.query(
        TableName=filled,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        Select="COUNT",
    )
    assert result["Count"] == 25
    assert "Items" not in result


def test_query_needs_a_key_condition(client: Any, filled: str) -> None:
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.query(TableName=filled)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_scan_paginator_sees_every_item_once(client: Any, filled: str) -> None:
    items = [
        item
        for page in client.get_paginator("scan").paginate(
            TableName=filled, PaginationConfig={"PageSize": 7}
        )
        for item in page["Items"]
    ]
    assert len(items) == 26
    assert len({(item["pk"]["S"], item["sk"]["N"]) for item in items}) == 26


def test_parallel_scan_segments_cover_the_table(client: Any, filled: str) -> None:
    seen = []
    for segment in range(3):
        for page in client.get_paginator("scan").paginate(
            TableName=filled, Segment=segment, TotalSegments=3
        ):
            seen.extend(page["Items"])
    assert len(seen) == 26


def test_query_capacity_is_charged_to_the_table(client: Any, filled: str) -> None:
    result = client.query(
        TableName=filled,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ReturnConsumedCapacity="INDEXES",
    )
    assert result["ConsumedCapacity"]["CapacityUnits"] == 0.5
    assert result["ConsumedCapacity"]["Table"]["CapacityUnits"] == 0.5
