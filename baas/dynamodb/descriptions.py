"""Table descriptions in DynamoDB's wire shape, and table specs from CreateTable input.

``DescribeTable`` answers what the SDKs and their waiters read (API Reference,
"TableDescription"): ``TableStatus`` (the ``table_exists`` waiter waits for ACTIVE),
key schema, attribute definitions, indexes, counts, the stream ARN. Tables here are
always on-demand (PAY_PER_REQUEST), always ACTIVE once created, and always have a
stream of NEW_AND_OLD_IMAGES (the store's change feed records every write).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from baas.dynamodb.errors import validation_error
from storage.tables import IndexProjection, IndexSpec, KeyAttribute, TableDescription, TableSpec

__all__ = [
    "Account",
    "attribute_definitions",
    "index_from_wire",
    "key_schema_from_wire",
    "spec_from_create_table",
    "stream_arn",
    "table_description",
]

_INVALID = "One or more parameter values were invalid: "


@dataclass(frozen=True, slots=True)
class Account:
    """The region and account id that ARNs name (fixed per endpoint)."""

    region: str = "us-east-1"
    account_id: str = "000000000000"

    def table_arn(self, table: str) -> str:
        """``arn:aws:dynamodb:<region>:<account>:table/<name>``."""
        return f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{table}"


def stream_label(created_at: float) -> str:
    """DynamoDB's stream label: the ISO time the stream was enabled (here: table creation)."""
    return datetime.fromtimestamp(created_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def stream_arn(account: Account, table: str, created_at: float) -> str:
    """The ARN of the table's (only) stream."""
    return f"{account.table_arn(table)}/stream/{stream_label(created_at)}"


def _key_schema(partition: KeyAttribute, sort: KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _throughput() -> dict[str, int]:
    return {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0}


def table_description(
    description: TableDescription, account: Account, status: str | None = None
) -> dict[str, Any]:
    """The ``TableDescription`` structure of a table."""
    spec = description.spec
    attributes: dict[str, str] = {}
    for key in (spec.partition_key, spec.sort_key):
        if key is not None:
            attributes[key.name] = key.type
    table_arn = account.table_arn(spec.name)
    wire: dict[str, Any] = {
        "TableName": spec.name,
        "TableArn": table_arn,
        "TableId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{table_arn}@{description.created_at}")),
        "TableStatus": status or description.status,
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
        "CreationDateTime": description.created_at,
        "ItemCount": description.item_count,
        "TableSizeBytes": description.size_bytes,
        "BillingModeSummary": {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": description.created_at,
        },
        "ProvisionedThroughput": _throughput(),
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "LatestStreamLabel": stream_label(description.created_at),
        "LatestStreamArn": stream_arn(account, spec.name, description.created_at),
        "DeletionProtectionEnabled": False,
        "TableClassSummary": {"TableClass": "STANDARD"},
    }
    if spec.indexes:
        wire["GlobalSecondaryIndexes"] = [
            _index_description(index, table_arn) for index in spec.indexes
        ]
        for index in spec.indexes:
            for key in (index.partition_key, index.sort_key):
                if key is not None:
                    attributes[key.name] = key.type
    wire["AttributeDefinitions"] = [
        {"AttributeName": name, "AttributeType": kind} for name, kind in attributes.items()
    ]
    return wire


def _index_description(index: IndexSpec, table_arn: str) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection.type}
    if index.projection.non_key_attributes:
        projection["NonKeyAttributes"] = list(index.projection.non_key_attributes)
    return {
        "IndexName": index.name,
        "IndexArn": f"{table_arn}/index/{index.name}",
        "KeySchema": _key_schema(index.partition_key, index.sort_key),
        "Projection": projection,
        "IndexStatus": "ACTIVE",
        "Backfilling": False,
        "ProvisionedThroughput": _throughput(),
    }


# --- input -------------------------------------------------------------------------


def attribute_definitions(body: Mapping[str, Any]) -> dict[str, Literal["S", "N", "B"]]:
    definitions: dict[str, Literal["S", "N", "B"]] = {}
    raw = body.get("AttributeDefinitions") or []
    if not isinstance(raw, list):
        raise validation_error(_INVALID + "AttributeDefinitions must be a list")
    for definition in raw:
        name = definition.get("AttributeName") if isinstance(definition, dict) else None
        kind = definition.get("AttributeType") if isinstance(definition, dict) else None
        if not isinstance(name, str) or kind not in ("S", "N", "B"):
            raise validation_error(
                _INVALID + "Each AttributeDefinition needs an AttributeName and an "
                "AttributeType of S, N or B"
            )
        definitions[name] = kind
    return definitions


def key_schema_from_wire(
    schema: object, definitions: Mapping[str, Literal["S", "N", "B"]]
) -> tuple[KeyAttribute, KeyAttribute | None]:
    """(partition key, sort key) from a ``KeySchema`` list and the attribute types."""
    if not isinstance(schema, list) or not 1 <= len(schema) <= 2:
        raise validation_error(_INVALID + "KeySchema must have one or two elements")
    keys: dict[str, KeyAttribute] = {}
    for element in schema:
        name = element.get("AttributeName") if isinstance(element, dict) else None
        role = element.get("KeyType") if isinstance(element, dict) else None
        if role not in ("HASH", "RANGE") or not isinstance(name, str) or role in keys:
            raise validation_error(
                _INVALID + "Invalid KeySchema: one HASH key and at most one RANGE key"
            )
        if name not in definitions:
            raise validation_error(
                _INVALID + "Some index key attributes are not defined in AttributeDefinitions. "
                f"Keys: [{name}], AttributeDefinitions: [{', '.join(definitions)}]"
            )
        keys[role] = KeyAttribute(name, definitions[name])
    if "HASH" not in keys:
        raise validation_error(_INVALID + "Invalid KeySchema: no HASH key")
    return keys["HASH"], keys.get("RANGE")


def index_from_wire(raw: object, definitions: Mapping[str, Literal["S", "N", "B"]]) -> IndexSpec:
    """An index spec from a GlobalSecondaryIndex (or LocalSecondaryIndex) element."""
    if not isinstance(raw, dict) or not isinstance(raw.get("IndexName"), str):
        raise validation_error(_INVALID + "Each index needs an IndexName")
    partition, sort = key_schema_from_wire(raw.get("KeySchema"), definitions)
    projection = raw.get("Projection") or {}
    kind = projection.get("ProjectionType", "ALL") if isinstance(projection, dict) else None
    if kind not in ("ALL", "KEYS_ONLY", "INCLUDE"):
        raise validation_error(_INVALID + f"Unknown ProjectionType: {kind}")
    non_key = tuple(projection.get("NonKeyAttributes") or ())
    return IndexSpec(raw["IndexName"], partition, sort, IndexProjection(kind, non_key))


def spec_from_create_table(body: Mapping[str, Any], name: str) -> TableSpec:
    """The store's table spec from a CreateTable request.

    Local secondary indexes become global ones with the same keys: the store reads
    indexes strongly consistently, so they behave alike for queries. Billing mode,
    throughput, stream, tags and encryption settings are accepted and ignored.
    """
    definitions = attribute_definitions(body)
    partition, sort = key_schema_from_wire(body.get("KeySchema"), definitions)
    indexes = [
        index_from_wire(raw, definitions)
        for field in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
        for raw in body.get(field) or []
    ]
    used = {partition.name} | ({sort.name} if sort else set())
    for index in indexes:
        used |= {index.partition_key.name} | ({index.sort_key.name} if index.sort_key else set())
    if set(definitions) - used:
        raise validation_error(
            _INVALID + "Number of attributes in KeySchema does not exactly match number of "
            "attributes defined in AttributeDefinitions"
        )
    return TableSpec(name, partition, sort, tuple(indexes))
