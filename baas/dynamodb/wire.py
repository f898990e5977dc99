"""Reading a DynamoDB request's JSON: typed fields and its expression parameters.

Field errors are DynamoDB's ``ValidationException`` texts ("1 validation error
detected: Value null at 'tableName' failed to satisfy constraint: Member must not be
null"), where the field appears in camelCase as DynamoDB names it.

Tables whose name starts with ``_baas_`` hold the platform's own data (access keys,
sessions ...): this endpoint behaves as if they did not exist (threat: a leaked access
key reading every other key's secret through the data API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from baas.dynamodb.errors import DynamoDBApiError, validation_error
from baas.dynamodb.legacy import (
    LEGACY_PARAMETERS,
    Placeholders,
    translate_attribute_updates,
    translate_attributes_to_get,
    translate_conditions,
    translate_expected,
)
from storage.values import Item, Value, from_wire

__all__ = [
    "SYSTEM_TABLE_PREFIX",
    "Body",
    "Expressions",
    "boolean",
    "check_table",
    "expressions",
    "integer",
    "item",
    "optional_item",
    "string",
    "table_name",
]

Body = Mapping[str, Any]
SYSTEM_TABLE_PREFIX = "_baas_"
_EXPRESSION_PARAMETERS = (
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
    "ProjectionExpression",
    "UpdateExpression",
)


def _camel(field: str) -> str:
    return field[:1].lower() + field[1:]


def _missing(field: str) -> DynamoDBApiError:
    return validation_error(
        f"1 validation error detected: Value null at '{_camel(field)}' failed to satisfy "
        "constraint: Member must not be null"
    )


def _mistyped(field: str, kind: str) -> DynamoDBApiError:
    return DynamoDBApiError(
        "SerializationException",
        f"Unexpected value type for '{field}': expected {kind}",
        namespace="com.amazon.coral.service",
    )


def string(body: Body, field: str, *, required: bool = False) -> str | None:
    """A string field, or None when absent (a ValidationException if ``required``)."""
    value = body.get(field)
    if value is None:
        if required:
            raise _missing(field)
        return None
    if not isinstance(value, str):
        raise _mistyped(field, "a string")
    return value


def boolean(body: Body, field: str) -> bool:
    """A boolean field; absent is False."""
    value = body.get(field, False)
    if not isinstance(value, bool):
        raise _mistyped(field, "a boolean")
    return value


def integer(body: Body, field: str, *, minimum: int = 1) -> int | None:
    """An integer field (at least ``minimum``), or None when absent."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _mistyped(field, "an integer")
    if value < minimum:
        raise validation_error(
            f"1 validation error detected: Value '{value}' at '{_camel(field)}' failed to "
            f"satisfy constraint: Member must have value greater than or equal to {minimum}"
        )
    return value


def check_table(name: str) -> str:
    """``name`` unless it is a system table, which is reported as not found."""
    if name.startswith(SYSTEM_TABLE_PREFIX):
        raise DynamoDBApiError(
            "ResourceNotFoundException", f"Requested resource not found: Table: {name} not found"
        )
    return name


def table_name(body: Body, field: str = "TableName") -> str:
    """The (required) table name of a request, never a system table's."""
    name = string(body, field, required=True)
    assert name is not None  # noqa: S101 - required above
    return check_table(name)


def item(body: Body, field: str, *, validate: bool = True) -> Item:
    """A required item or key in the wire format, parsed and validated (see
    :func:`~storage.values.from_wire` for ``validate``)."""
    value = body.get(field)
    if value is None:
        raise _missing(field)
    return from_wire(value, validate=validate)


def optional_item(body: Body, field: str) -> Item | None:
    """An optional item or key (e.g. ExclusiveStartKey)."""
    value = body.get(field)
    return None if value is None else from_wire(value)


@dataclass(frozen=True, slots=True)
class Expressions:
    """A request's expressions and placeholders, whether sent as such or legacy."""

    condition: str | None = None
    update: str | None = None
    key_condition: str | None = None
    filter: str | None = None
    projection: str | None = None
    names: dict[str, str] | None = None
    values: dict[str, Value] | None = None


_NO_EXPRESSIONS = Expressions()
# Every field that expressions() reads: a request with none of them has none.
_EXPRESSION_FIELDS = frozenset(
    (
        *LEGACY_PARAMETERS,
        *_EXPRESSION_PARAMETERS,
        "ConditionalOperator",
        "ExpressionAttributeNames",
        "ExpressionAttributeValues",
    )
)


def expressions(body: Body) -> Expressions:
    """The request's expressions, translating legacy parameters (see ``legacy``).

    DynamoDB refuses a request that mixes the two styles, and placeholders with legacy
    parameters (API Reference, "Legacy conditional parameters").
    """
    if _EXPRESSION_FIELDS.isdisjoint(body):
        return _NO_EXPRESSIONS  # most single-item calls: nothing to parse
    legacy = [name for name in LEGACY_PARAMETERS if body.get(name) is not None]
    modern = [name for name in _EXPRESSION_PARAMETERS if body.get(name) is not None]
    if legacy and modern:
        raise validation_error(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(legacy)}}} "
            f"Expression parameters: {{{', '.join(modern)}}}"
        )
    if not legacy:
        if body.get("ConditionalOperator") is not None:
            raise validation_error(
                "ConditionalOperator can only be used when Filter or Expected has been used"
            )
        values = body.get("ExpressionAttributeValues")
        names = body.get("ExpressionAttributeNames")
        if names is not None and not isinstance(names, dict):
            raise _mistyped("ExpressionAttributeNames", "a map")
        return Expressions(
            condition=string(body, "ConditionExpression"),
            update=string(body, "UpdateExpression"),
            key_condition=string(body, "KeyConditionExpression"),
            filter=string(body, "FilterExpression"),
            projection=string(body, "ProjectionExpression"),
            names=names,
            values=None if values is None else from_wire(values),
        )
    for field in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
        if body.get(field) is not None:
            raise validation_error(f"{field} can only be specified when using expressions")
    placeholders = Placeholders()
    operator = body.get("ConditionalOperator")
    filter_parameter = "QueryFilter" if "QueryFilter" in body else "ScanFilter"
    # Placeholders are filled in order, so each translation runs before the result.
    condition = translate_expected(body.get("Expected"), operator, placeholders)
    update = translate_attribute_updates(body.get("AttributeUpdates"), placeholders)
    key_condition = translate_conditions(
        body.get("KeyConditions"),
        None,
        placeholders,
        parameter="KeyConditions",
        key_conditions=True,
    )
    filter_ = translate_conditions(
        body.get(filter_parameter), operator, placeholders, parameter=filter_parameter
    )
    projection = translate_attributes_to_get(body.get("AttributesToGet"), placeholders)
    return Expressions(
        condition=condition,
        update=update,
        key_condition=key_condition,
        filter=filter_,
        projection=projection,
        names=placeholders.names or None,
        values=placeholders.values or None,
    )
