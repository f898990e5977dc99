"""Table operations: CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable,
UpdateTimeToLive, DescribeTimeToLive (DynamoDB API Reference, one section each)."""

from __future__ import annotations

from typing import Any

from baas.dynamodb.context import OperationContext
from baas.dynamodb.descriptions import (
    attribute_definitions,
    index_from_wire,
    spec_from_create_table,
    table_description,
)
from baas.dynamodb.errors import validation_error
from baas.dynamodb.wire import SYSTEM_TABLE_PREFIX, Body, integer, string, table_name
from storage.tables import IndexSpec

__all__ = [
    "create_table",
    "delete_table",
    "describe_table",
    "describe_time_to_live",
    "list_tables",
    "update_table",
    "update_time_to_live",
]


async def create_table(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """CreateTable: the table is ACTIVE at once (no CREATING phase to wait out)."""
    spec = spec_from_create_table(body, table_name(body))
    description = await ctx.store.create_table(spec)
    ctx.forget(spec.name)  # a table of the same name may have been cached before
    return {"TableDescription": table_description(description, ctx.account)}


async def describe_table(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """DescribeTable."""
    description = await ctx.store.describe_table(table_name(body))
    return {"Table": table_description(description, ctx.account)}


async def delete_table(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """DeleteTable: answers the description with TableStatus DELETING, as DynamoDB does."""
    name = table_name(body)
    description = await ctx.store.describe_table(name)
    await ctx.store.delete_table(name)
    ctx.forget(name)
    return {"TableDescription": table_description(description, ctx.account, "DELETING")}


async def list_tables(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """ListTables, paginated by ExclusiveStartTableName and Limit (at most 100)."""
    start = string(body, "ExclusiveStartTableName")
    limit = min(integer(body, "Limit") or 100, 100)
    names = [
        name
        for name in await ctx.store.list_tables()
        if not name.startswith(SYSTEM_TABLE_PREFIX) and (start is None or name > start)
    ]
    response: dict[str, Any] = {"TableNames": names[:limit]}
    if len(names) > limit:
        response["LastEvaluatedTableName"] = names[limit - 1]
    return response


async def update_table(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """UpdateTable: create or delete global secondary indexes; other settings are ignored."""
    name = table_name(body)
    updates = body.get("GlobalSecondaryIndexUpdates") or []
    if not isinstance(updates, list):
        raise validation_error("GlobalSecondaryIndexUpdates must be a list")
    definitions = attribute_definitions(body)
    creates: list[IndexSpec] = []
    deletes: list[str] = []
    for update in updates:
        if not isinstance(update, dict):
            raise validation_error("Each GlobalSecondaryIndexUpdate must be a map")
        if "Create" in update:
            creates.append(index_from_wire(update["Create"], definitions))
        elif "Delete" in update and isinstance(update["Delete"], dict):
            deletes.append(str(update["Delete"].get("IndexName")))
        # "Update" only changes provisioned throughput, which does not exist here.
    if creates or deletes:
        description = await ctx.store.update_table(name, creates, deletes)
        ctx.forget(name)
    else:
        description = await ctx.store.describe_table(name)
    return {"TableDescription": table_description(description, ctx.account)}


async def update_time_to_live(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """UpdateTimeToLive: enable TTL on an attribute, or disable it."""
    name = table_name(body)
    specification = body.get("TimeToLiveSpecification")
    if not isinstance(specification, dict):
        raise validation_error(
            "1 validation error detected: Value null at 'timeToLiveSpecification' failed to "
            "satisfy constraint: Member must not be null"
        )
    enabled = specification.get("Enabled")
    attribute = specification.get("AttributeName")
    if not isinstance(enabled, bool) or not isinstance(attribute, str) or not attribute:
        raise validation_error(
            "TimeToLiveSpecification needs Enabled (a boolean) and AttributeName (a string)"
        )
    current = (await ctx.store.describe_table(name)).spec.ttl_attribute
    if enabled and current is not None:
        raise validation_error("TimeToLive is already enabled")
    if not enabled and current is None:
        raise validation_error("TimeToLive is already disabled")
    if not enabled and current != attribute:
        raise validation_error(
            f"Attribute name {attribute} does not match the TimeToLive attribute {current}"
        )
    await ctx.store.update_ttl(name, attribute if enabled else None)
    ctx.forget(name)
    return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}


async def describe_time_to_live(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """DescribeTimeToLive."""
    attribute = (await ctx.store.describe_table(table_name(body))).spec.ttl_attribute
    if attribute is None:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
    return {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}}
