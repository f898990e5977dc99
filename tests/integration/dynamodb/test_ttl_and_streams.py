"""Time to Live and DynamoDB Streams through boto3."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.dynamodb.conftest import ClientFactory


def _key(pk: str, sk: int = 1) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


@pytest.fixture(scope="module")
def streams(make_client: ClientFactory) -> Any:
    return make_client("dynamodbstreams")


def _shard_iterator(client: Any, streams: Any, table: str, kind: str, **extra: Any) -> str:
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return str(
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **extra)[
            "ShardIterator"
        ]
    )


def test_time_to_live_is_enabled_described_and_disabled(client: Any, table: str) -> None:
    described = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert described == {"TimeToLiveStatus": "DISABLED"}
    enabled = client.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    assert enabled["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    described = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert described == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    with pytest.raises(client.exceptions.ClientError):
        client.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "other"}
        )
    client.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": False, "AttributeName": "expires"}
    )
    described = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert described["TimeToLiveStatus"] == "DISABLED"


def test_expired_items_are_deleted_by_the_service(
    client: Any, streams: Any, table: str, sweep_expired: Callable[[], int]
) -> None:
    client.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    iterator = _shard_iterator(client, streams, table, "LATEST")
    past, future = str(int(time.time()) - 60), str(int(time.time()) + 3600)
    client.put_item(TableName=table, Item={**_key("old"), "expires": {"N": past}})
    client.put_item(TableName=table, Item={**_key("new"), "expires": {"N": future}})
    sweep_expired()
    assert "Item" not in client.get_item(TableName=table, Key=_key("old"))
    assert "Item" in client.get_item(TableName=table, Key=_key("new"))
    records = streams.get_records(ShardIterator=iterator)["Records"]
    removal = [record for record in records if record["eventName"] == "REMOVE"]
    assert len(removal) == 1
    assert removal[0]["dynamodb"]["Keys"] == _key("old")
    assert removal[0]["userIdentity"] == {
        "Type": "Service",
        "PrincipalId": "dynamodb.amazonaws.com",
    }


def test_a_stream_carries_every_change_with_both_images(
    client: Any, streams: Any, table: str
) -> None:
    table_arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    listed = streams.list_streams(TableName=table)["Streams"]
    assert [stream["StreamArn"] for stream in listed] == [table_arn]
    described = streams.describe_stream(StreamArn=table_arn)["StreamDescription"]
    assert described["StreamStatus"] == "ENABLED"
    assert described["StreamViewType"] == "NEW_AND_OLD_IMAGES"

    client.put_item(TableName=table, Item={**_key("s"), "v": {"N": "1"}})
    client.update_item(
        TableName=table,
        Key=_key("s"),
        UpdateExpression="SET v = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    client.delete_item(TableName=table, Key=_key("s"))

    iterator = _shard_iterator(client, streams, table, "TRIM_HORIZON")
    page = streams.get_records(ShardIterator=iterator, Limit=2)
    records = page["Records"]
    records += streams.get_records(ShardIterator=page["NextShardIterator"])["Records"]
    assert [record["eventName"] for record in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (record["dynamodb"] for record in records)
    assert insert["NewImage"]["v"] == {"N": "1"}
    assert "OldImage" not in insert
    assert modify["OldImage"]["v"] == {"N": "1"}
    assert modify["NewImage"]["v"] == {"N": "2"}
    assert remove["OldImage"]["v"] == {"N": "2"}
    assert "NewImage" not in remove
    numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
    assert numbers == sorted(numbers)

    after = _shard_iterator(
        client, streams, table, "AFTER_SEQUENCE_NUMBER", SequenceNumber=numbers[0]
    )
    assert len(streams.get_records(ShardIterator=after)["Records"]) == 2
    at = _shard_iterator(client, streams, table, "AT_SEQUENCE_NUMBER", SequenceNumber=numbers[2])
    assert [r["eventName"] for r in streams.get_records(ShardIterator=at)["Records"]] == ["REMOVE"]


def test_an_unknown_stream_is_resource_not_found(streams: Any) -> None:
    with pytest.raises(streams.exceptions.ResourceNotFoundException):
        streams.describe_stream(
            StreamArn="arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2020-01-01T00:00:00.000"
        )


def test_an_old_iterator_expires(
    client: Any, streams: Any, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An iterator issued with a lifetime already over (DynamoDB's is 15 minutes).
    monkeypatch.setattr("baas.dynamodb.streams._ITERATOR_LIFETIME_SECONDS", -1)
    iterator = _shard_iterator(client, streams, table, "TRIM_HORIZON")
    with pytest.raises(streams.exceptions.ExpiredIteratorException):
        streams.get_records(ShardIterator=iterator)


def test_the_stream_of_a_deleted_table_is_gone(client: Any, streams: Any, table: str) -> None:
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    iterator = _shard_iterator(client, streams, table, "TRIM_HORIZON")
    client.delete_table(TableName=table)
    with pytest.raises(streams.exceptions.ResourceNotFoundException):
        streams.describe_stream(StreamArn=arn)
    with pytest.raises(streams.exceptions.ResourceNotFoundException):
        streams.get_records(ShardIterator=iterator)
