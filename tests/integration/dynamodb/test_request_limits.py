"""DynamoDB's request limits on expression values and start keys, through boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

MB = 1024 * 1024


def _refused(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call(**kwargs)
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationException"
    return str(error["Message"])


def test_expression_values_past_2_mb_are_refused(client: Any, table: str) -> None:
    # A small item and a condition whose values alone pass DynamoDB's 2 MB.
    chunks = {f":v{i}": {"S": "x" * (300 * 1024)} for i in range(7)}  # 2.1 MB in all
    condition = " OR ".join(f"note = {key}" for key in chunks)
    message = _refused(
        client.put_item,
        TableName=table,
        Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
        ConditionExpression=f"attribute_not_exists(pk) OR {condition}",
        ExpressionAttributeValues=chunks,
    )
    assert "maximum allowed size" in message
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
    # Just under the limit is fine.
    under = {f":v{i}": {"S": "x" * (290 * 1024)} for i in range(7)}
    client.put_item(
        TableName=table,
        Item={"pk": {"S": "a"}, "sk": {"N": "1"}},
        ConditionExpression="attribute_not_exists(pk) OR "
        + " OR ".join(f"note = {key}" for key in under),
        ExpressionAttributeValues=under,
    )


@pytest.mark.parametrize("operation", ["scan", "query"])
def test_a_start_key_with_a_non_key_attribute_is_refused(
    client: Any, table: str, operation: str
) -> None:
    client.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    start = {"pk": {"S": "a"}, "sk": {"N": "1"}, "title": {"S": "not a key"}}
    query = (
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}
        if operation == "query"
        else {}
    )
    call = getattr(client, operation)
    message = _refused(call, TableName=table, ExclusiveStartKey=start, **query)
    assert message.startswith("The provided starting key is invalid")
    # The key alone is a valid start key.
    del start["title"]
    assert call(TableName=table, ExclusiveStartKey=start, **query)["Items"] == []
