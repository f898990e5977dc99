"""DynamoDB Streams over the store's change feed: ListStreams, DescribeStream,
GetShardIterator, GetRecords (DynamoDB Streams API Reference).

Every table has one stream (view type NEW_AND_OLD_IMAGES) with one shard that never
closes. A record's ``SequenceNumber`` is the change feed's sequence number, zero-padded
to 21 digits so that the strings sort like the numbers. A shard iterator is an opaque
token holding the table, its stream label, the position and an expiry (15 minutes, as
DynamoDB's); it grants nothing a signed caller could not read anyway.

The feed keeps records for ``feed_retention_seconds`` (24 hours by default, as
DynamoDB Streams).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from baas.dynamodb.context import OperationContext
from baas.dynamodb.descriptions import stream_arn, stream_label
from baas.dynamodb.errors import DynamoDBApiError, validation_error
from baas.dynamodb.wire import SYSTEM_TABLE_PREFIX, Body, check_table, integer, string
from storage.errors import ResourceNotFoundError
from storage.feed import ChangeRecord
from storage.tables import TableDescription
from storage.values import item_size, to_wire

__all__ = ["describe_stream", "get_records", "get_shard_iterator", "list_streams"]

_ITERATOR_LIFETIME_SECONDS = 15 * 60
_MAX_RECORDS = 1000  # GetRecords "Limit": at most 1000
_FEED_BATCH = 1000
_MAX_SCANNED = 10_000  # feed records examined per GetRecords before answering
_SHARD_SUFFIX = "00000001"


def _sequence_number(seq: int) -> str:
    return f"{seq:021d}"


def _shard_id(description: TableDescription) -> str:
    return f"shardId-{int(description.created_at * 1000):020d}-{_SHARD_SUFFIX}"


async def _table_of_stream(ctx: OperationContext, arn: str) -> TableDescription:
    """The table whose current stream is ``arn``; ResourceNotFoundException otherwise."""
    not_found = DynamoDBApiError(
        "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found"
    )
    prefix = ctx.account.table_arn("")
    if not arn.startswith(prefix) or "/stream/" not in arn:
        raise not_found
    table, _, label = arn[len(prefix) :].partition("/stream/")
    if table.startswith(SYSTEM_TABLE_PREFIX):
        raise not_found
    try:
        description = await ctx.store.describe_table(table)
    except ResourceNotFoundError:
        raise not_found from None
    if stream_label(description.created_at) != label:
        raise not_found  # the stream of a deleted table of the same name
    return description


async def list_streams(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """ListStreams: every table's stream, or one table's."""
    only = string(body, "TableName")
    names = [check_table(only)] if only else await ctx.store.list_tables()
    start = string(body, "ExclusiveStartStreamArn")
    limit = min(integer(body, "Limit") or 100, 100)
    streams = []
    for name in names:
        if name.startswith(SYSTEM_TABLE_PREFIX):
            continue
        try:
            description = await ctx.description(name)
        except ResourceNotFoundError:
            if only:
                raise
            continue  # deleted meanwhile
        arn = stream_arn(ctx.account, name, description.created_at)
        if start is None or arn > start:
            label = stream_label(description.created_at)
            streams.append({"StreamArn": arn, "TableName": name, "StreamLabel": label})
    response: dict[str, Any] = {"Streams": streams[:limit]}
    if len(streams) > limit:
        response["LastEvaluatedStreamArn"] = streams[limit - 1]["StreamArn"]
    return response


async def describe_stream(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """DescribeStream: the stream's single, open shard."""
    arn = string(body, "StreamArn", required=True) or ""
    description = await _table_of_stream(ctx, arn)
    spec = description.spec
    shard = {
        "ShardId": _shard_id(description),
        "SequenceNumberRange": {"StartingSequenceNumber": _sequence_number(1)},
    }
    # Paging over shards: past the only shard there is nothing more.
    shards = [] if string(body, "ExclusiveStartShardId") == shard["ShardId"] else [shard]
    key_schema = [{"AttributeName": spec.partition_key.name, "KeyType": "HASH"}]
    if spec.sort_key is not None:
        key_schema.append({"AttributeName": spec.sort_key.name, "KeyType": "RANGE"})
    return {
        "StreamDescription": {
            "StreamArn": arn,
            "StreamLabel": stream_label(description.created_at),
            "StreamStatus": "ENABLED",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "CreationRequestDateTime": description.created_at,
            "TableName": spec.name,
            "KeySchema": key_schema,
            "Shards": shards,
        }
    }


async def get_shard_iterator(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """GetShardIterator: TRIM_HORIZON, LATEST, AT_ or AFTER_SEQUENCE_NUMBER."""
    arn = string(body, "StreamArn", required=True) or ""
    description = await _table_of_stream(ctx, arn)
    if string(body, "ShardId", required=True) != _shard_id(description):
        raise DynamoDBApiError(
            "ResourceNotFoundException",
            f"Requested resource not found: Shard does not exist in stream {arn}",
        )
    kind = string(body, "ShardIteratorType", required=True)
    if kind == "TRIM_HORIZON":
        after = 0
    elif kind == "LATEST":
        after = await ctx.store.changes.latest_seq()
    elif kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        number = string(body, "SequenceNumber")
        if number is None or not number.isdigit():
            raise validation_error(f"A valid SequenceNumber is required for {kind}")
        after = int(number) - (1 if kind == "AT_SEQUENCE_NUMBER" else 0)
    else:
        raise validation_error(
            f"1 validation error detected: Value '{kind}' at 'shardIteratorType' failed to "
            "satisfy constraint: Member must satisfy enum value set: "
            "[TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER]"
        )
    return {"ShardIterator": _iterator(description, max(after, 0))}


def _iterator(description: TableDescription, after: int) -> str:
    state = {
        "t": description.spec.name,
        "c": description.created_at,
        "a": after,
        "x": int(time.time()) + _ITERATOR_LIFETIME_SECONDS,
    }
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _parse_iterator(token: str) -> tuple[str, float, int]:
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
        table, created_at, after, expires = state["t"], state["c"], state["a"], state["x"]
        if not (isinstance(table, str) and isinstance(after, int) and isinstance(expires, int)):
            raise TypeError(token)
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise validation_error("Invalid ShardIterator") from None
    if expires < time.time():
        raise DynamoDBApiError(
            "ExpiredIteratorException", "Iterator expired. The iterator was created too long ago."
        )
    return check_table(table), float(created_at), after


async def get_records(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """GetRecords: the next records of the table after the iterator's position."""
    table, created_at, after = _parse_iterator(string(body, "ShardIterator", required=True) or "")
    limit = min(integer(body, "Limit") or _MAX_RECORDS, _MAX_RECORDS)
    try:
        description = await ctx.description(table)
    except ResourceNotFoundError:
        description = None
    if description is None or description.created_at != created_at:
        raise DynamoDBApiError(
            "ResourceNotFoundException", "Requested resource not found: the stream was deleted"
        )
    records: list[dict[str, Any]] = []
    scanned = 0
    while len(records) < limit and scanned < _MAX_SCANNED:
        batch = await ctx.store.changes.read(after, _FEED_BATCH)
        for change in batch:
            after = change.seq
            if change.table == table and change.created_at >= created_at:
                records.append(_record(ctx, change))
                if len(records) == limit:
                    break
        scanned += len(batch)
        if len(batch) < _FEED_BATCH:
            break
    return {"Records": records, "NextShardIterator": _iterator(description, after)}


def _record(ctx: OperationContext, change: ChangeRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ApproximateCreationDateTime": int(change.created_at),  # whole seconds, as DynamoDB
        "Keys": to_wire(change.keys),
        "SequenceNumber": _sequence_number(change.seq),
        "SizeBytes": item_size(change.keys)
        + (item_size(change.old_image) if change.old_image else 0)
        + (item_size(change.new_image) if change.new_image else 0),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if change.new_image is not None:
        data["NewImage"] = to_wire(change.new_image)
    if change.old_image is not None:
        data["OldImage"] = to_wire(change.old_image)
    record: dict[str, Any] = {
        "eventID": f"{change.seq:032x}",
        "eventName": change.event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": ctx.account.region,
        "dynamodb": data,
    }
    if change.system:
        # TTL deletions (Developer Guide, "Time to Live and DynamoDB Streams").
        record["userIdentity"] = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    return record
