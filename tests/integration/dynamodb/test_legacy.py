"""The legacy conditional parameters through boto3 (Expected, AttributesToGet,
KeyConditions, QueryFilter, ScanFilter, AttributeUpdates, ConditionalOperator)."""

from __future__ import annotations

from typing import Any

import pytest


def _key(pk: str, sk: int = 1) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def test_expected_guards_a_put(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item=_key("a"), Expected={"pk": {"Exists": False}})
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.put_item(TableName=table, Item=_key("a"), Expected={"pk": {"Exists": False}})
    client.put_item(
        TableName=table,
        Item={**_key("a"), "v": {"N": "1"}},
        Expected={"pk": {"Value": {"S": "a"}}, "v": {"ComparisonOperator": "NULL"}},
    )
    with pytest.raises(client.exceptions.ConditionalCheckFailedException):
        client.delete_item(
            TableName=table,
            Key=_key("a"),
            Expected={
                "v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "5"}]},
                "w": {"ComparisonOperator": "NOT_NULL"},
            },
            ConditionalOperator="OR",
        )


def test_attribute_updates_put_add_and_delete(client: Any, table: str) -> None:
    client.put_item(
        TableName=table,
        Item={**_key("u"), "gone": {"S": "x"}, "tags": {"SS": ["a", "b"]}, "log": {"L": []}},
    )
    result = client.update_item(
        TableName=table,
        Key=_key("u"),
        AttributeUpdates={
            "name": {"Value": {"S": "Ada"}},
            "count": {"Action": "ADD", "Value": {"N": "2"}},
            "gone": {"Action": "DELETE"},
            "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}},
            "log": {"Action": "ADD", "Value": {"L": [{"S": "e1"}]}},
        },
        Expected={"gone": {"Exists": True, "Value": {"S": "x"}}},
        ReturnValues="ALL_NEW",
    )
    assert result["Attributes"] == {
        **_key("u"),
        "name": {"S": "Ada"},
        "count": {"N": "2"},
        "tags": {"SS": ["b"]},
        "log": {"L": [{"S": "e1"}]},
    }


def test_attributes_to_get_on_get_item(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={**_key("g"), "x": {"S": "1"}, "y": {"S": "2"}})
    got = client.get_item(TableName=table, Key=_key("g"), AttributesToGet=["x"])
    assert got["Item"] == {"x": {"S": "1"}}


def test_key_conditions_and_query_filter(client: Any, table: str) -> None:
    for i in range(6):
        client.put_item(TableName=table, Item={**_key("q", i), "even": {"BOOL": i % 2 == 0}})
    result = client.query(
        TableName=table,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "q"}]},
            "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "2"}]},
        },
        QueryFilter={"even": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}},
        AttributesToGet=["sk"],
    )
    assert result["Items"] == [{"sk": {"N": "2"}}, {"sk": {"N": "4"}}]


def test_scan_filter_with_or(client: Any, table: str) -> None:
    for i in range(5):
        client.put_item(TableName=table, Item={**_key("s", i), "n": {"N": str(i)}})
    result = client.scan(
        TableName=table,
        ScanFilter={
            "n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "0"}, {"N": "4"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "2"}]},
        },
        ConditionalOperator="OR",
    )
    assert sorted(int(item["n"]["N"]) for item in result["Items"]) == [0, 2, 4]


def test_mixing_legacy_and_expressions_is_refused(client: Any, table: str) -> None:
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.get_item(
            TableName=table, Key=_key("g"), AttributesToGet=["x"], ProjectionExpression="y"
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "Can not use both expression and non-expression parameters" in error["Message"]
