"""Batches and transactions through boto3, with cancellation reasons."""

from __future__ import annotations

from typing import Any

import pytest


def _key(pk: str, sk: int = 1) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def test_batch_write_then_batch_get(client: Any, table: str) -> None:
    written = client.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": {**_key(f"k{i}"), "v": {"N": str(i)}}}} for i in range(5)
            ]
        },
        ReturnConsumedCapacity="TOTAL",
    )
    assert written["UnprocessedItems"] == {}
    assert written["ConsumedCapacity"] == [
        {"TableName": table, "CapacityUnits": 5.0, "WriteCapacityUnits": 5.0}
    ]
    client.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": _key("k0")}}]})
    got = client.batch_get_item(
        RequestItems={
            table: {
                "Keys": [_key(f"k{i}") for i in range(5)],
                "ProjectionExpression": "v",
                "ConsistentRead": True,
            }
        }
    )
    assert sorted(int(item["v"]["N"]) for item in got["Responses"][table]) == [1, 2, 3, 4]
    assert got["UnprocessedKeys"] == {}


def test_a_transaction_applies_every_write(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={**_key("acct-a"), "balance": {"N": "100"}})
    client.put_item(TableName=table, Item={**_key("acct-b"), "balance": {"N": "0"}})
    client.put_item(TableName=table, Item={**_key("bank"), "open": {"BOOL": True}})
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": _key("acct-a"),
                    "UpdateExpression": "SET balance = balance - :x",
                    "ConditionExpression": "balance >= :x",
                    "ExpressionAttributeValues": {":x": {"N": "30"}},
                }
            },
            {
                "Update": {
                    "TableName": table,
                    "Key": _key("acct-b"),
                    "UpdateExpression": "SET balance = balance + :x",
                    "ExpressionAttributeValues": {":x": {"N": "30"}},
                }
            },
            {"Put": {"TableName": table, "Item": {**_key("log"), "amount": {"N": "30"}}}},
            {
                "ConditionCheck": {
                    "TableName": table,
                    "Key": _key("bank"),
                    "ConditionExpression": "#o = :t",
                    "ExpressionAttributeNames": {"#o": "open"},
                    "ExpressionAttributeValues": {":t": {"BOOL": True}},
                }
            },
        ]
    )
    got = client.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": table, "Key": _key("acct-a")}},
            {"Get": {"TableName": table, "Key": _key("acct-b")}},
            {"Get": {"TableName": table, "Key": _key("missing")}},
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    responses = got["Responses"]
    assert responses[0]["Item"]["balance"] == {"N": "70"}
    assert responses[1]["Item"]["balance"] == {"N": "30"}
    assert responses[2] == {}
    assert got["ConsumedCapacity"][0]["CapacityUnits"] == 6.0


def test_a_cancelled_transaction_reports_a_reason_per_item(client: Any, table: str) -> None:
    client.put_item(TableName=table, Item={**_key("acct"), "balance": {"N": "10"}})
    with pytest.raises(client.exceptions.TransactionCanceledException) as caught:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": _key("new")}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key("acct"),
                        "UpdateExpression": "SET balance = balance - :x",
                        "ConditionExpression": "balance >= :x",
                        "ExpressionAttributeValues": {":x": {"N": "30"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    reasons = caught.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["balance"] == {"N": "10"}
    assert "Item" not in client.get_item(TableName=table, Key=_key("new"))


def test_a_reused_token_with_other_parameters_is_refused(client: Any, table: str) -> None:
    token = f"token-{table}"  # tokens are per store: unique to this run
    put = {"Put": {"TableName": table, "Item": _key("idem")}}
    client.transact_write_items(TransactItems=[put], ClientRequestToken=token)
    client.transact_write_items(TransactItems=[put], ClientRequestToken=token)  # replay: fine
    other = {"Put": {"TableName": table, "Item": _key("other")}}
    with pytest.raises(client.exceptions.IdempotentParameterMismatchException):
        client.transact_write_items(TransactItems=[other], ClientRequestToken=token)
