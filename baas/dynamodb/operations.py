"""The operations the endpoint serves, by ``X-Amz-Target``.

DynamoDB's JSON protocol names the operation in the ``X-Amz-Target`` header as
``<service prefix>.<Operation>``: ``DynamoDB_20120810`` for DynamoDB and
``DynamoDBStreams_20120810`` for DynamoDB Streams (API Reference, "Making HTTP
requests").
"""

from __future__ import annotations

from baas.dynamodb import batches, items, reads, streams, tables
from baas.dynamodb.context import Handler

__all__ = ["OPERATIONS"]

_DYNAMODB = "DynamoDB_20120810"
_STREAMS = "DynamoDBStreams_20120810"

OPERATIONS: dict[str, Handler] = {
    f"{_DYNAMODB}.CreateTable": tables.create_table,
    f"{_DYNAMODB}.DescribeTable": tables.describe_table,
    f"{_DYNAMODB}.ListTables": tables.list_tables,
    f"{_DYNAMODB}.DeleteTable": tables.delete_table,
    f"{_DYNAMODB}.UpdateTable": tables.update_table,
    f"{_DYNAMODB}.UpdateTimeToLive": tables.update_time_to_live,
    f"{_DYNAMODB}.DescribeTimeToLive": tables.describe_time_to_live,
    f"{_DYNAMODB}.PutItem": items.put_item,
    f"{_DYNAMODB}.GetItem": items.get_item,
    f"{_DYNAMODB}.UpdateItem": items.update_item,
    f"{_DYNAMODB}.DeleteItem": items.delete_item,
    f"{_DYNAMODB}.Query": reads.query,
    f"{_DYNAMODB}.Scan": reads.scan,
    f"{_DYNAMODB}.BatchGetItem": batches.batch_get_item,
    f"{_DYNAMODB}.BatchWriteItem": batches.batch_write_item,
    f"{_DYNAMODB}.TransactGetItems": batches.transact_get_items,
    f"{_DYNAMODB}.TransactWriteItems": batches.transact_write_items,
    f"{_STREAMS}.ListStreams": streams.list_streams,
    f"{_STREAMS}.DescribeStream": streams.describe_stream,
    f"{_STREAMS}.GetShardIterator": streams.get_shard_iterator,
    f"{_STREAMS}.GetRecords": streams.get_records,
}
