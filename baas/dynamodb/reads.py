"""Query and Scan (DynamoDB API Reference, "Query" and "Scan").

One request answers one page; the SDKs' paginators follow ``LastEvaluatedKey`` by
sending it back as ``ExclusiveStartKey``.
"""

from __future__ import annotations

from typing import Any

from baas.dynamodb.capacity import Consumption, read_units, requested_mode
from baas.dynamodb.context import OperationContext
from baas.dynamodb.errors import validation_error
from baas.dynamodb.wire import (
    Body,
    boolean,
    expressions,
    integer,
    optional_item,
    string,
    table_name,
)
from storage.requests import Page
from storage.values import item_size, to_wire

__all__ = ["query", "scan"]


async def query(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """Query: one partition (of the table or of an index), in sort-key order."""
    table = table_name(body)
    expr = expressions(body)
    if expr.key_condition is None:
        raise validation_error(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified "
            "in the request."
        )
    forward = body.get("ScanIndexForward", True)
    if not isinstance(forward, bool):
        raise validation_error("ScanIndexForward must be a boolean")
    page = await ctx.store.query(
        table,
        expr.key_condition,
        index=string(body, "IndexName"),
        filter=expr.filter,
        projection=expr.projection,
        names=expr.names,
        values=expr.values,
        limit=integer(body, "Limit"),
        exclusive_start_key=optional_item(body, "ExclusiveStartKey"),
        forward=forward,
        select=string(body, "Select"),
        consistent=boolean(body, "ConsistentRead"),
    )
    return _page_response(table, body, page)


async def scan(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """Scan: the whole table or index, or one segment of it (parallel scan)."""
    table = table_name(body)
    expr = expressions(body)
    page = await ctx.store.scan(
        table,
        index=string(body, "IndexName"),
        filter=expr.filter,
        projection=expr.projection,
        names=expr.names,
        values=expr.values,
        limit=integer(body, "Limit"),
        exclusive_start_key=optional_item(body, "ExclusiveStartKey"),
        segment=integer(body, "Segment", minimum=0),
        total_segments=integer(body, "TotalSegments"),
        select=string(body, "Select"),
        consistent=boolean(body, "ConsistentRead"),
    )
    return _page_response(table, body, page)


def _page_response(table: str, body: Body, page: Page) -> dict[str, Any]:
    response: dict[str, Any] = {"Count": page.count, "ScannedCount": page.scanned_count}
    if body.get("Select") != "COUNT":
        response["Items"] = [to_wire(found) for found in page.items]
    if page.last_evaluated_key is not None:
        response["LastEvaluatedKey"] = to_wire(page.last_evaluated_key)
    mode = requested_mode(body)
    if mode != "NONE":
        # Query and Scan round the total size read up once (Developer Guide, "Read
        # consumption"); the size of the returned items stands for what was read.
        size = sum(item_size(found) for found in page.items)
        units = read_units(size, consistent=boolean(body, "ConsistentRead"))
        consumption = Consumption(table, "read")
        index = string(body, "IndexName")
        if index is None:
            consumption.table_units = units
        else:
            consumption.index_units[index] = units
        response["ConsumedCapacity"] = consumption.to_wire(mode)
    return response
