"""Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.

Each maps the wire request onto the store call of the same name (expressions, or legacy
parameters translated by ``wire.expressions``) and the result back to the wire shape
(DynamoDB API Reference, one section per operation).
"""

from __future__ import annotations

from typing import Any

from baas.dynamodb.capacity import (
    Consumption,
    Mode,
    read_units,
    requested_mode,
    write_consumption,
)
from baas.dynamodb.context import OperationContext
from baas.dynamodb.wire import Body, boolean, expressions, item, string, table_name
from storage.values import item_size, to_wire, validate_item

__all__ = ["delete_item", "get_item", "put_item", "update_item"]

# UpdateItem without any update still creates the item (API Reference, UpdateItem):
# removing an attribute that no item can have does exactly that and changes nothing else.
_NO_OP_UPDATE = "REMOVE #baas_no_op"
_NO_OP_NAME = "\u0000baas:no-op"


def _with_capacity(
    response: dict[str, Any], mode: Mode, consumption: Consumption | None
) -> dict[str, Any]:
    if mode != "NONE" and consumption is not None:
        response["ConsumedCapacity"] = consumption.to_wire(mode)
    return response


async def put_item(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """PutItem."""
    table = table_name(body)
    new = item(body, "Item", validate=False)  # store.put_item validates it
    expr = expressions(body)
    mode = requested_mode(body)
    return_values = string(body, "ReturnValues") or "NONE"
    # The old image sizes the write (capacity), so ask for it when capacity is wanted.
    asked = "ALL_OLD" if mode != "NONE" and return_values == "NONE" else return_values
    old = await ctx.store.put_item(
        table,
        new,
        condition=expr.condition,
        names=expr.names,
        values=expr.values,
        return_values=asked,
        return_values_on_condition_check_failure=_on_failure(body),
    )
    response: dict[str, Any] = {}
    if return_values == "ALL_OLD" and old:
        response["Attributes"] = to_wire(old)
    consumption = (
        # Sized as stored: normalised (the store validated its own copy).
        write_consumption(await ctx.spec(table), old, validate_item(new))
        if mode != "NONE"
        else None
    )
    return _with_capacity(response, mode, consumption)


async def get_item(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """GetItem (every read here is strongly consistent; ConsistentRead only bills)."""
    table = table_name(body)
    expr = expressions(body)
    consistent = boolean(body, "ConsistentRead")
    found = await ctx.store.get_item(
        table,
        item(body, "Key", validate=False),  # the store validates it
        consistent=consistent,
        projection=expr.projection,
        names=expr.names,
    )
    response: dict[str, Any] = {} if found is None else {"Item": to_wire(found)}
    mode = requested_mode(body)
    if mode == "NONE":
        return response
    units = read_units(item_size(found) if found else 0, consistent=consistent)
    return _with_capacity(response, mode, Consumption(table, "read", units))


async def update_item(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """UpdateItem, with the five ReturnValues."""
    table = table_name(body)
    expr = expressions(body)
    mode = requested_mode(body)
    return_values = string(body, "ReturnValues") or "NONE"
    update, names = expr.update, expr.names
    if update is None:
        update, names = _NO_OP_UPDATE, {**(names or {}), "#baas_no_op": _NO_OP_NAME}
    # The new image sizes the write when capacity is wanted and nothing else is returned.
    asked = "ALL_NEW" if mode != "NONE" and return_values == "NONE" else return_values
    returned = await ctx.store.update_item(
        table,
        item(body, "Key", validate=False),  # the store validates it
        update,
        condition=expr.condition,
        names=names,
        values=expr.values,
        return_values=asked,
        return_values_on_condition_check_failure=_on_failure(body),
    )
    response: dict[str, Any] = {}
    if return_values != "NONE" and returned:
        response["Attributes"] = to_wire(returned)
    consumption = None
    if mode != "NONE":
        # Billed on the larger image; only the returned one is known here.
        consumption = write_consumption(await ctx.spec(table), None, returned)
    return _with_capacity(response, mode, consumption)


async def delete_item(ctx: OperationContext, body: Body) -> dict[str, Any]:
    """DeleteItem (deleting a missing item succeeds, unless a condition says otherwise)."""
    table = table_name(body)
    expr = expressions(body)
    mode = requested_mode(body)
    return_values = string(body, "ReturnValues") or "NONE"
    asked = "ALL_OLD" if mode != "NONE" and return_values == "NONE" else return_values
    old = await ctx.store.delete_item(
        table,
        item(body, "Key", validate=False),  # the store validates it
        condition=expr.condition,
        names=expr.names,
        values=expr.values,
        return_values=asked,
        return_values_on_condition_check_failure=_on_failure(body),
    )
    response: dict[str, Any] = {}
    if return_values == "ALL_OLD" and old:
        response["Attributes"] = to_wire(old)
    consumption = write_consumption(await ctx.spec(table), old, None) if mode != "NONE" else None
    return _with_capacity(response, mode, consumption)


def _on_failure(body: Body) -> str:
    return string(body, "ReturnValuesOnConditionCheckFailure") or "NONE"
