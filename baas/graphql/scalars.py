"""The custom scalars of the generated schema, and which Python type shows each kind.

A model field's *kind* (:data:`auth.models.FieldKind`) decides its GraphQL type:

    string -> String     int -> Int          float -> Float     boolean -> Boolean
    decimal -> Decimal   datetime -> DateTime  bytes -> Base64  json -> JSON
    enum -> the model's Enum (by member name, stored by value)

``DateTime`` is an ISO 8601 instant with a time zone, stored in the sortable UTC form of
:mod:`auth.model_values` (``2026-01-31T09:30:00.000Z``).
``Decimal`` travels as a string so no digit is lost (numbers are exact in the store).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON, Base64
from strawberry.types.scalar import ScalarDefinition

from auth.model_values import format_instant

__all__ = ["SCALAR_MAP", "DateTime", "DecimalString"]

DateTime = NewType("DateTime", str)
DecimalString = NewType("DecimalString", Decimal)


def _parse_datetime(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("DateTime must be an ISO 8601 string, e.g. 2026-01-31T09:30:00Z") from None
    if moment.tzinfo is None:
        # Threat to correctness, not security: a naive time means a different instant
        # on every machine, and would sort wrongly against stored UTC values.
        raise ValueError("DateTime must include a time zone (Z or +hh:mm)")
    return format_instant(moment)


def _serialize_datetime(value: object) -> str:
    if isinstance(value, datetime):
        return format_instant(value)
    return str(value)


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('Decimal must be a string such as "12.50" (or an integer)')
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("Decimal must be a number written as a string") from None
    if not number.is_finite():
        raise ValueError("Decimal must be finite")
    return number


def _serialize_decimal(value: object) -> str:
    return str(value)


def _parse_base64(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("Base64 must be a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("Base64 must be standard base64 text") from None


def _serialize_base64(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def _identity(value: Any) -> Any:
    return value


SCALAR_MAP: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description="An ISO 8601 instant with a time zone; answered in UTC with milliseconds.",
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
    DecimalString: strawberry.scalar(
        name="Decimal",
        description="An exact decimal number, written as a string.",
        serialize=_serialize_decimal,
        parse_value=_parse_decimal,
    ),
    Base64: strawberry.scalar(
        name="Base64",
        description="Binary data as standard base64 text.",
        serialize=_serialize_base64,
        parse_value=_parse_base64,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="Any JSON value.",
        serialize=_identity,
        parse_value=_identity,
    ),
}
