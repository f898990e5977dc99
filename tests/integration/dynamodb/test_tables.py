"""Table lifecycle through boto3: create, describe (and its waiter), list, update, delete."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _name() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def test_a_table_goes_through_its_whole_life(client: Any) -> None:
    name = _name()
    created = client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "email", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-email",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    assert created["TableStatus"] == "ACTIVE"
    assert created["TableArn"].endswith(f":table/{name}")

    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    table = client.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert {d["AttributeName"] for d in table["AttributeDefinitions"]} == {"id", "email"}
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "by-email"
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert table["ItemCount"] == 0
    assert name in client.list_tables()["TableNames"]

    deleted = client.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName=name)


def test_creating_an_existing_table_is_refused(client: Any, table: str) -> None:
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )


def test_an_undefined_key_attribute_is_a_validation_error(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.create_table(
            TableName=_name(),
            AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_tables_paginates(client: Any) -> None:
    names = sorted(_name() for _ in range(3))
    for name in names:
        client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    listed = [
        name
        for page in client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2})
        for name in page["TableNames"]
    ]
    assert set(names) <= set(listed)
    assert listed == sorted(listed)
    assert not any(name.startswith("_baas_") for name in listed)


def test_global_secondary_indexes_are_added_and_removed(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}})
    client.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    found = client.query(
        TableName=table,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
    )
    assert found["Count"] == 1  # back-filled from the existing item

    client.update_table(
        TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}]
    )
    assert "GlobalSecondaryIndexes" not in client.describe_table(TableName=table)["Table"]


def test_system_tables_are_invisible(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.scan(TableName="_baas_access_keys")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName="_baas_access_keys")
