"""Every item operation through boto3, with conditions, ReturnValues and capacity."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

_deserialize = TypeDeserializer().deserialize


def _key(pk: str, sk: int) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def test_put_then_get_round_trips_every_type(client: Any, table: str) -> None:
    item = {
        **_key("a", 1),
        "s": {"S": "text"},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\x01"},
        "bool": {"BOOL": True},
        "null": {"NULL": True},
        "l": {"L": [{"S": "x"}, {"N": "2"}]},
        "m": {"M": {"inner": {"S": "y"}}},
        "ss": {"SS": ["p", "q"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"z"]},
    }
    client.put_item(TableName=table, Item=item)
    got = client.get_item(TableName=table, Key=_key("a", 1), ConsistentRead=True)["Item"]
    assert {k: _deserialize(v) for k, v in got.items()} == {
        k: _deserialize(v) for k, v in item.items()
    }


def test_get_of_a_missing_item_has_no_item(client: Any, table: str) -> None:
    assert "Item" not in client.get_item(TableName=table, Key=_key("none", 1))


def test_get_with_a_projection(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={**_key("a", 1), "x": {"S": "1"}, "y": {"S": "2"}})
    got = client.get_item(
        TableName=table,
        Key=_key("a", 1),
        ProjectionExpression="#x",
        ExpressionAttributeNames={"#x": "x"},
    )
    assert got["Item"] == {"x": {"S": "1"}}


def test_put_returns_the_old_item(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={**_key("a", 1), "v": {"N": "1"}})
    old = client.put_item(
        TableName=table, Item={**_key("a", 1), "v": {"N": "2"}}, ReturnValues="ALL_OLD"
    )
    assert old["Attributes"]["v"] == {"N": "1"}


def test_a_failed_condition_raises_botocores_exception_class(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={**_key("a", 1), "v": {"N": "1"}})
    with pytest.raises(client.exceptions.ConditionalCheckFailedException) as caught:
        client.put_item(
            TableName=table,
            Item=_key("a", 1),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert caught.value.response["Error"]["Message"] == "The conditional request failed"
    assert caught.value.response["Item"]["v"] == {"N": "1"}
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_update_item_with_every_return_value(client: Any, table: str) -> None:
    key = _key("u", 1)
    created = client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #c = :one, #t = :t",
        ExpressionAttributeNames={"#c": "count", "#t": "tag"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":t": {"S": "x"}},
        ReturnValues="ALL_NEW",
    )
    assert created["Attributes"] == {**key, "count": {"N": "1"}, "tag": {"S": "x"}}
    updated_old = client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="ADD #c :one",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_OLD",
    )
    assert updated_old["Attributes"] == {"count": {"N": "1"}}
    updated_new = client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="REMOVE tag SET #c = #c + :one",
        ConditionExpression="#c = :two",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":two": {"N": "2"}},
        ReturnValues="UPDATED_NEW",
    )
    assert updated_new["Attributes"] == {"count": {"N": "3"}}
    assert "Attributes" not in client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET x = :x",
        ExpressionAttributeValues={":x": {"S": "y"}},
    )


def test_update_without_an_update_creates_the_item(client: Any, table: str) -> None:
    client.update_item(TableName=table, Key=_key("bare", 1))
    assert client.get_item(TableName=table, Key=_key("bare", 1))["Item"] == _key("bare", 1)


def test_delete_item(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={**_key("d", 1), "v": {"S": "x"}})
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.delete_item(
            TableName=table,
            Key=_key("d", 1),
            ConditionExpression="v = :other",
            ExpressionAttributeValues={":other": {"S": "y"}},
        )
    deleted = client.delete_item(TableName=table, Key=_key("d", 1), ReturnValues="ALL_OLD")
    assert deleted["Attributes"]["v"] == {"S": "x"}
    assert "Item" not in client.get_item(TableName=table, Key=_key("d", 1))
    assert "Attributes" not in client.delete_item(
        TableName=table, Key=_key("d", 1), ReturnValues="ALL_OLD"
    )


def test_a_wrong_key_is_a_validation_error(client: Any, table: str) -> None:
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_item(TableName=table, Key={"pk": {"S": "a"}})
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_an_unknown_table_is_resource_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_item(TableName="no-such-table", Item={"pk": {"S": "a"}})


def test_consumed_capacity_is_computed_the_dynamodb_way(client: Any, table: str) -> None:
    big = "x" * 1500  # 1.5 KB: two write units, one read unit
    put = client.put_item(
        TableName=table, Item={**_key("c", 1), "v": {"S": big}}, ReturnConsumedCapacity="TOTAL"
    )
    assert put["ConsumedCapacity"] == {
        "TableName": table,
        "CapacityUnits": 2.0,
        "WriteCapacityUnits": 2.0,
    }
    assert "Attributes" not in put
    eventual = client.get_item(TableName=table, Key=_key("c", 1), ReturnConsumedCapacity="TOTAL")
    assert eventual["ConsumedCapacity"]["CapacityUnits"] == 0.5
    strong = client.get_item(
        TableName=table, Key=_key("c", 1), ConsistentRead=True, ReturnConsumedCapacity="INDEXES"
    )
    assert strong["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert strong["ConsumedCapacity"]["Table"]["CapacityUnits"] == 1.0
    deleted = client.delete_item(TableName=table, Key=_key("c", 1), ReturnConsumedCapacity="TOTAL")
    assert deleted["ConsumedCapacity"]["CapacityUnits"] == 2.0
    assert "Attributes" not in deleted
