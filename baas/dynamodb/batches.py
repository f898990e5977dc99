"""Multi-item operations: BatchGetItem, BatchWriteItem, TransactGetItems,
TransactWriteItems (DynamoDB API Reference, one section each)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from baas.dynamodb.capacity import (
    Consumption,
    Mode,
    read_units,
    requested_mode,
    write_consumption,
)
from baas.dynamodb.context import OperationContext
from baas.dynamodb.errors import validation_error
from baas.dynamodb.wire import Body, boolean, check_table, expressions, item, string
from storage.requests import (
    BatchGet,
    DeleteRequest,
    PutRequest,
    TransactConditionCheck,
    TransactDelete,
    TransactGet,
    TransactPut,
    TransactUpdate,
    TransactWriteItem,
)
from storage.values import Item, item_size, to_wire, validate_item

__all__ = ["batch_get_item", "batch_write_item", "transact_get_items", "transact_write_items"]


def _request_items(body: Body) -> Mapping[str, Any]:
    requests = body.get("RequestItems")
    if not isinstance(requests, dict) or not requests:
        raise validation_error(
            "1 validation error detected: Value null at 'requestItems' failed to satisfy "
            "constraint: Member must not be null"
        )
    for table in requests:
        check_table(table)
    return requests


def _capacity_list(mode: Mode, consumptions: dict[str, Consumption]) -> list[dict[str, Any]]:
    return [consumption.to_wire(mode) for consumption in consumptions.values()]


async def batch_get_item(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """BatchGetItem: up to 100 keys over one or more tables."""
    requests: dict[str, BatchGet] = {}
    for table, raw in _request_items(body).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("Keys"), list):
            raise validation_error(f"RequestItems.{table} needs a list of Keys")
        expr = expressions(raw)
        keys = [item({"Key": key}, "Key") for key in raw["Keys"]]
        requests[table] = BatchGet(
            keys, expr.projection, expr.names, boolean(raw, "ConsistentRead")
        )
    result = await ctx.store.batch_get(requests)
    response: dict[str, Any] = {
        "Responses": {
            table: [to_wire(found) for found in items] for table, items in result.responses.items()
        },
        "UnprocessedKeys": {
            table: _unprocessed_keys(request) for table, request in result.unprocessed_keys.items()
        },
    }
    mode = requested_mode(body)
    if mode != "NONE":
        consumptions: dict[str, Consumption] = {}
        for table, request in requests.items():
            found = result.responses.get(table, [])
            # Rounded per item; a key that found nothing still costs the minimum.
            sizes = [item_size(entry) for entry in found] + [0] * (len(request.keys) - len(found))
            units = sum(read_units(size, consistent=request.consistent) for size in sizes)
            consumptions[table] = Consumption(table, "read", units)
        response["ConsumedCapacity"] = _capacity_list(mode, consumptions)
    return response


def _unprocessed_keys(request: BatchGet) -> dict[str, Any]:
    wire: dict[str, Any] = {"Keys": [to_wire(validate_item(key)) for key in request.keys]}
    if request.projection is not None:
        wire["ProjectionExpression"] = request.projection
    if request.names:
        wire["ExpressionAttributeNames"] = dict(request.names)
    if request.consistent:
        wire["ConsistentRead"] = True
    return wire


async def batch_write_item(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """BatchWriteItem: up to 25 puts and deletes over one or more tables."""
    requests: dict[str, list[PutRequest | DeleteRequest]] = {}
    new_images: dict[str, list[Item | None]] = {}
    for table, raw in _request_items(body).items():
        if not isinstance(raw, list):
            raise validation_error(f"RequestItems.{table} must be a list of write requests")
        parsed = [_write_request(entry) for entry in raw]
        requests[table] = [request for request, _new in parsed]
        new_images[table] = [new for _request, new in parsed]
    result = await ctx.store.batch_write(requests)
    response: dict[str, Any] = {
        "UnprocessedItems": {
            table: [_write_request_to_wire(request) for request in unprocessed]
            for table, unprocessed in result.unprocessed_items.items()
        }
    }
    mode = requested_mode(body)
    if mode != "NONE":
        consumptions: dict[str, Consumption] = {}
        for table, images in new_images.items():
            spec = await ctx.spec(table)
            total = Consumption(table, "write")
            for new in images:
                # Old images are not returned by a batch; the new image sizes each write.
                total.add(write_consumption(spec, None, new))
            consumptions[table] = total
        response["ConsumedCapacity"] = _capacity_list(mode, consumptions)
    return response


def _write_request(entry: object) -> tuple[PutRequest | DeleteRequest, Item | None]:
    """The store request and the item it writes (None for a delete)."""
    if isinstance(entry, dict) and len(entry) == 1:
        if isinstance(entry.get("PutRequest"), dict):
            new = item(entry["PutRequest"], "Item")
            return PutRequest(new), new
        if isinstance(entry.get("DeleteRequest"), dict):
            return DeleteRequest(item(entry["DeleteRequest"], "Key")), None
    raise validation_error(
        "1 validation error detected: each WriteRequest must hold exactly one of "
        "PutRequest or DeleteRequest"
    )


def _write_request_to_wire(request: PutRequest | DeleteRequest) -> dict[str, Any]:
    if isinstance(request, PutRequest):
        return {"PutRequest": {"Item": to_wire(validate_item(request.item))}}
    return {"DeleteRequest": {"Key": to_wire(validate_item(request.key))}}


def _transact_items(body: Body) -> list[Any]:
    items = body.get("TransactItems")
    if not isinstance(items, list) or not items:
        raise validation_error(
            "1 validation error detected: Value null at 'transactItems' failed to satisfy "
            "constraint: Member must not be null"
        )
    return items


async def transact_get_items(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """TransactGetItems: up to 100 reads as one snapshot."""
    gets: list[TransactGet] = []
    for entry in _transact_items(body):
        raw = entry.get("Get") if isinstance(entry, dict) else None
        if not isinstance(raw, dict):
            raise validation_error("Each TransactGetItem must hold a Get")
        expr = expressions(raw)
        table = check_table(string(raw, "TableName", required=True) or "")
        gets.append(TransactGet(table, item(raw, "Key"), expr.projection, expr.names))
    found = await ctx.store.transact_get(gets)
    response: dict[str, Any] = {
        "Responses": [{} if entry is None else {"Item": to_wire(entry)} for entry in found]
    }
    mode = requested_mode(body)
    if mode != "NONE":
        consumptions: dict[str, Consumption] = {}
        for get, entry in zip(gets, found, strict=True):
            units = read_units(
                item_size(entry) if entry else 0, consistent=True, transactional=True
            )
            consumptions.setdefault(get.table, Consumption(get.table, "read")).table_units += units
        response["ConsumedCapacity"] = _capacity_list(mode, consumptions)
    return response


async def transact_write_items(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """TransactWriteItems: up to 100 writes and checks, all or nothing.

    A failed condition cancels the whole transaction: TransactionCanceledException with
    one CancellationReason per item, in request order (shaped in ``errors``).
    """
    parsed = [_transact_write(entry) for entry in _transact_items(body)]
    writes = [write for write, _new in parsed]
    await ctx.store.transact_write(writes, string(body, "ClientRequestToken"))
    response: dict[str, Any] = {}
    mode = requested_mode(body)
    if mode != "NONE":
        consumptions: dict[str, Consumption] = {}
        for write, new in parsed:
            spec = await ctx.spec(write.table)
            consumption = write_consumption(spec, None, new, transactional=True)
            consumptions.setdefault(write.table, Consumption(write.table, "write")).add(consumption)
        response["ConsumedCapacity"] = _capacity_list(mode, consumptions)
    return response


def _transact_write(entry: object) -> tuple[TransactWriteItem, Item | None]:
    """The store's transaction entry and the item it puts (None for the others)."""
    if not isinstance(entry, dict) or len(entry) != 1:
        raise validation_error(
            "Each TransactWriteItem must hold exactly one of ConditionCheck, Put, Delete, Update"
        )
    ((kind, raw),) = entry.items()
    if not isinstance(raw, dict):
        raise validation_error(f"TransactWriteItem.{kind} must be a map")
    table = check_table(string(raw, "TableName", required=True) or "")
    expr = expressions(raw)
    on_failure = string(raw, "ReturnValuesOnConditionCheckFailure") or "NONE"
    if on_failure not in ("NONE", "ALL_OLD"):
        raise validation_error("ReturnValuesOnConditionCheckFailure must be NONE or ALL_OLD")
    common: dict[str, Any] = {
        "names": expr.names,
        "values": expr.values,
        "return_values_on_condition_check_failure": on_failure,
    }
    if kind == "Put":
        new = item(raw, "Item")
        return TransactPut(table, new, expr.condition, **common), new
    if kind == "Delete":
        return TransactDelete(table, item(raw, "Key"), expr.condition, **common), None
    if kind == "Update":
        update = string(raw, "UpdateExpression", required=True) or ""
        return TransactUpdate(table, item(raw, "Key"), update, expr.condition, **common), None
    if kind == "ConditionCheck":
        condition = string(raw, "ConditionExpression", required=True) or ""
        return TransactConditionCheck(table, item(raw, "Key"), condition, **common), None
    raise validation_error(f"Unknown TransactWriteItem kind: {kind}")
