"""The document store: DynamoDB's data model and semantics on pluggable backends."""

from storage.feed import ChangeFeed, ChangeRecord
from storage.opener import OpenStore, StoreConfig, config_from_url, describe_store, open_store
from storage.postgres import PostgresConfig
from storage.requests import (
    BatchGet,
    BatchGetResult,
    BatchWriteResult,
    DeleteRequest,
    Page,
    PartitionQuery,
    PutRequest,
    TransactConditionCheck,
    TransactDelete,
    TransactGet,
    TransactPut,
    TransactUpdate,
)
from storage.sqlite import SqliteConfig
from storage.store import DocumentStore
from storage.tables import IndexProjection, IndexSpec, KeyAttribute, TableDescription, TableSpec
from storage.values import Item, Value, from_wire, item_size, to_wire

__all__ = [
    "BatchGet",
    "BatchGetResult",
    "BatchWriteResult",
    "ChangeFeed",
    "ChangeRecord",
    "DeleteRequest",
    "DocumentStore",
    "IndexProjection",
    "IndexSpec",
    "Item",
    "KeyAttribute",
    "OpenStore",
    "Page",
    "PartitionQuery",
    "PostgresConfig",
    "PutRequest",
    "SqliteConfig",
    "StoreConfig",
    "TableDescription",
    "TableSpec",
    "TransactConditionCheck",
    "TransactDelete",
    "TransactGet",
    "TransactPut",
    "TransactUpdate",
    "Value",
    "config_from_url",
    "describe_store",
    "from_wire",
    "item_size",
    "open_store",
    "to_wire",
]
