"""The DynamoDB data model as Python values.

An item is a ``dict[str, Value]``. The mapping between DynamoDB types and Python:

    S    str                 N    decimal.Decimal (exact, 38 significant digits)
    B    bytes               BOOL bool
    NULL None                L    list
    M    dict[str, Value]    SS   set[str] / frozenset[str]
    NS   set[Decimal]        BS   set[bytes]

``int`` is accepted on input and becomes ``Decimal``; ``float`` is refused (it is not
exact), as boto3 refuses it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

from storage.errors import ValidationError

__all__ = ["Item", "Value", "type_of"]

Value: TypeAlias = (
    str
    | Decimal
    | bytes
    | bool
    | list["Value"]
    | dict[str, "Value"]
    | set[str]
    | set[Decimal]
    | set[bytes]
    | frozenset[str]
    | frozenset[Decimal]
    | frozenset[bytes]
    | None
)
Item: TypeAlias = dict[str, Value]


def type_of(value: object) -> str:
    """The DynamoDB type name (``"S"``, ``"N"``, ... ``"BS"``) of a Python value."""
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, str):
        return "S"
    if isinstance(value, Decimal | int):
        return "N"
    if isinstance(value, bytes | bytearray):
        return "B"
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "L"
    if isinstance(value, dict):
        return "M"
    if isinstance(value, set | frozenset):
        if not value:
            raise ValidationError(
                "One or more parameter values were invalid: An string set  may not be empty"
            )
        first = next(iter(value))
        if isinstance(first, str):
            return "SS"
        if isinstance(first, bytes | bytearray):
            return "BS"
        if isinstance(first, Decimal | int) and not isinstance(first, bool):
            return "NS"
    raise ValidationError(f"Unsupported type: {type(value).__name__}")
