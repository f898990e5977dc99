"""CreateTable input -> table spec, and table spec -> DescribeTable output."""

from __future__ import annotations

from typing import Any

import pytest

from baas.dynamodb.descriptions import Account, spec_from_create_table, table_description
from baas.dynamodb.errors import DynamoDBApiError
from storage.tables import IndexProjection, IndexSpec, KeyAttribute, TableDescription, TableSpec

DEFINITIONS = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "N"},
    {"AttributeName": "email", "AttributeType": "S"},
    {"AttributeName": "rank", "AttributeType": "N"},
]


def _create(**overrides: Any) -> dict[str, Any]:
    return {
        "TableName": "users",
        "AttributeDefinitions": DEFINITIONS,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-email",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["name"]},
            }
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "by-rank",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "rank", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        **overrides,
    }


def test_a_create_table_request_becomes_a_spec() -> None:
    spec = spec_from_create_table(_create(), "users")
    assert spec.partition_key == KeyAttribute("pk", "S")
    assert spec.sort_key == KeyAttribute("sk", "N")
    assert spec.indexes == (
        IndexSpec("by-email", KeyAttribute("email"), None, IndexProjection("INCLUDE", ("name",))),
        IndexSpec(
            "by-rank", KeyAttribute("pk"), KeyAttribute("rank", "N"), IndexProjection("KEYS_ONLY")
        ),
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"AttributeDefinitions": DEFINITIONS[:3]},  # rank is used but not defined
        {"AttributeDefinitions": [*DEFINITIONS, {"AttributeName": "x", "AttributeType": "S"}]},
        {"KeySchema": [{"AttributeName": "sk", "KeyType": "RANGE"}]},
        {"KeySchema": []},
        {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "BOOL"}]},
        {"GlobalSecondaryIndexes": [{"IndexName": "x", "KeySchema": [], "Projection": {}}]},
    ],
)
def test_an_inconsistent_request_is_a_validation_error(overrides: dict[str, Any]) -> None:
    with pytest.raises(DynamoDBApiError) as caught:
        spec_from_create_table(_create(**overrides), "users")
    assert caught.value.code == "ValidationException"


def test_the_description_has_what_sdk_waiters_and_tools_read() -> None:
    spec = spec_from_create_table(_create(), "users")
    wire = table_description(TableDescription(spec, 3, 120, 1_700_000_000.5), Account("eu-west-1"))
    assert wire["TableStatus"] == "ACTIVE"
    assert wire["TableArn"] == "arn:aws:dynamodb:eu-west-1:000000000000:table/users"
    assert wire["ItemCount"] == 3
    assert wire["TableSizeBytes"] == 120
    assert wire["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert wire["LatestStreamArn"] == (
        "arn:aws:dynamodb:eu-west-1:000000000000:table/users/stream/2023-11-14T22:13:20.500"
    )
    assert {d["AttributeName"] for d in wire["AttributeDefinitions"]} == {
        "pk",
        "sk",
        "email",
        "rank",
    }
    assert [index["IndexStatus"] for index in wire["GlobalSecondaryIndexes"]] == ["ACTIVE"] * 2


def test_the_table_id_is_stable_for_one_table() -> None:
    description = TableDescription(TableSpec("users", KeyAttribute("id")), 0, 0, 1.0)
    first = table_description(description, Account())["TableId"]
    assert first == table_description(description, Account())["TableId"]
