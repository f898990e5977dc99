"""The DynamoDB data model as Python values.

An item is a ``dict[str, Value]``. The mapping between DynamoDB types and Python:

    S    str                 N    decimal.Decimal (exact, 38 significant digits)
    B    bytes               BOOL bool
    NULL None                L    list
    M    dict[str, Value]    SS   set[str] / frozenset[str]
    NS   set[Decimal]        BS   set[bytes]

``int`` is accepted on input and becomes ``Decimal``; ``float`` is refused (it is not
exact), as boto3 refuses it. :func:`validate_item` checks an item against DynamoDB's
rules and returns a normalised copy (numbers canonical, sets as ``set``, bytes as
``bytes``); :func:`item_size` counts bytes the way DynamoDB bills and limits them
(DynamoDB Developer Guide, "Item sizes and formats"); :func:`to_wire` and
:func:`from_wire` convert to and from DynamoDB's JSON wire format.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeAlias

from storage.errors import ValidationError

__all__ = [
    "MAX_ITEM_BYTES",
    "MAX_NESTING",
    "Item",
    "ItemInput",
    "Value",
    "from_wire",
    "item_size",
    "normalize_number",
    "significant_digits",
    "to_wire",
    "type_of",
    "validate_item",
    "validate_value",
    "value_from_wire",
    "value_to_wire",
]

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
# What callers may pass: ints, tuples, frozensets ... are accepted and normalised.
ItemInput: TypeAlias = Mapping[str, object]

MAX_ITEM_BYTES = 400 * 1024
MAX_NESTING = 32
_MAX_DIGITS = 38
# DynamoDB's number range: 1E-130 .. 9.99...E+125 in magnitude (Developer Guide, Data types).
_MAX_ADJUSTED_EXPONENT = 125
_MIN_ADJUSTED_EXPONENT = -130
_INVALID = "One or more parameter values were invalid: "
_SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}


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


def normalize_number(number: Decimal | int) -> Decimal:
    """Check a number against DynamoDB's limits and return its canonical form.

    Leading and trailing zeros are trimmed (as DynamoDB stores numbers), integral
    values carry no exponent, so equal numbers have the same representation.
    """
    value = Decimal(number) if isinstance(number, int) else number
    if not value.is_finite():
        raise ValidationError(f"The parameter cannot be converted to a numeric value: {value}")
    if value.is_zero():
        return Decimal(0)
    # Most numbers are canonical already (every read and write normalises them), and
    # their text shows it, cheaper than as_tuple(): an integer prints without point or
    # exponent, a fraction of moderate size with a point and no trailing zero. The
    # length bounds the digits, so such a number is also within the limits.
    if type(value) is Decimal:
        text = str(value)
        if len(text) <= _MAX_DIGITS and "E" not in text and ("." not in text or text[-1] != "0"):
            return value
    sign, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - finite numbers have an int exponent
    digits = list(digit_tuple)
    while digits and digits[-1] == 0:
        digits.pop()
        exponent += 1
    if len(digits) > _MAX_DIGITS:
        raise ValidationError("Attempting to store more than 38 significant digits in a Number")
    adjusted = exponent + len(digits) - 1
    if adjusted > _MAX_ADJUSTED_EXPONENT:
        raise ValidationError(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        )
    if adjusted < _MIN_ADJUSTED_EXPONENT:
        raise ValidationError(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        )
    if exponent > 0:
        digits.extend([0] * exponent)
        exponent = 0
    return Decimal((sign, tuple(digits), exponent))


def validate_item(item: object) -> Item:
    """Check an item against DynamoDB's type rules and return a normalised copy."""
    if not isinstance(item, dict):
        raise ValidationError("An item must be a map of attribute names to values")
    valid: Item = {}
    for name, value in item.items():
        if type(name) is not str or not name:
            _attribute_name(name)  # raises the matching error
        # Strings, the most common values, are kept here without a call.
        valid[name] = value if type(value) is str else validate_value(value, 1)
    return valid


def validate_value(value: object, depth: int = 1) -> Value:
    """Check one attribute value (at nesting ``depth``) and return it normalised."""
    if depth > MAX_NESTING:
        raise ValidationError("Nesting Levels have exceeded supported limits")
    # The common types first: on the path of every write.
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return normalize_number(value)
    if isinstance(value, dict):
        return {_attribute_name(k): validate_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, Decimal | int):
        return normalize_number(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, float):
        raise ValidationError("Float types are not supported. Use Decimal types instead.")
    if isinstance(value, list | tuple):
        return [validate_value(element, depth + 1) for element in value]
    if isinstance(value, dict):
        return {_attribute_name(k): validate_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return _validate_set(value)
    raise ValidationError(f"Unsupported type: {type(value).__name__}")


def _attribute_name(name: object) -> str:
    if not isinstance(name, str):
        raise ValidationError("Attribute names must be strings")
    if not name:
        raise ValidationError(
            _INVALID + "An AttributeValue may not contain an empty attribute name"
        )
    return name


def _validate_set(value: set[Any] | frozenset[Any]) -> Value:
    if not value:
        raise ValidationError(_INVALID + "An string set  may not be empty")
    if all(type(element) is str for element in value):
        return set(value)  # the common string set, without a type name per element
    kinds = {type_of(element) for element in value}
    if len(kinds) != 1 or not kinds <= {"S", "N", "B"}:
        raise ValidationError(_INVALID + "Set elements must all be strings, numbers or binaries")
    kind = kinds.pop()
    if kind == "N":
        numbers = {normalize_number(element) for element in value}
        if len(numbers) != len(value):
            raise ValidationError(_INVALID + "Input collection contains duplicates.")
        return numbers
    if kind == "B":
        return {bytes(element) for element in value}
    return set(value)


def item_size(item: Item) -> int:
    """The size of an item as DynamoDB counts it against the 400 KB limit."""
    size = 0
    for name, value in item.items():
        # Strings and numbers, most values, are counted here without a call.
        if type(value) is str:
            size += len(name.encode()) + len(value.encode())
        elif type(value) is Decimal:
            size += len(name.encode()) + _number_size(value)
        else:
            size += len(name.encode()) + _value_size(value)
    return size


def _value_size(value: Value) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, Decimal):
        return _number_size(value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict):
        # 3 bytes per List or Map plus 1 byte per element (Item sizes and formats).
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in value.items())
    if isinstance(value, list):
        return 3 + sum(1 + _value_size(element) for element in value)
    # A set, whose elements are all of one type (validated): summed without a call each.
    first = next(iter(value))
    if isinstance(first, str):
        return sum(map(len, map(str.encode, value)))  # type: ignore[arg-type]
    if isinstance(first, bytes):
        return sum(map(len, value))  # type: ignore[arg-type]
    return sum(map(_number_size, value))  # type: ignore[arg-type]


def _number_size(number: Decimal) -> int:
    # One byte per two significant digits, plus one (Item sizes and formats).
    return ((len(significant_digits(number)) or 1) + 1) // 2 + 1


def significant_digits(number: Decimal) -> str:
    """The significant digits of a finite number, without the zeros around them
    (empty for zero). Read from its text, which costs less than as_tuple()."""
    mantissa = str(number).partition("E")[0]
    return mantissa.replace("-", "").replace(".", "").strip("0")


# --- DynamoDB JSON wire format -------------------------------------------------------


def to_wire(item: Item) -> dict[str, Any]:
    """An item in DynamoDB's JSON wire format: ``{"a": {"S": "x"}, "n": {"N": "1.5"}}``."""
    return {name: value_to_wire(value) for name, value in item.items()}


def value_to_wire(value: Value) -> dict[str, Any]:
    """One attribute value in the wire format."""
    # The common types first (bool is no subclass of any before it): every item read
    # is converted.
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Decimal):
        return {"N": _number_text(value)}
    if isinstance(value, dict):
        return {"M": {name: value_to_wire(element) for name, element in value.items()}}
    if isinstance(value, list):
        return {"L": [value_to_wire(element) for element in value]}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode("ascii")}
    if isinstance(value, set | frozenset) and value:
        # Validated sets are uniform: the first element's type names the set's.
        first = next(iter(value))
        if isinstance(first, str):
            return {"SS": sorted(value)}
        if isinstance(first, Decimal):
            return {"NS": [_number_text(n) for n in sorted(value)]}  # type: ignore[arg-type]
    kind = type_of(value)  # refuses what is no DynamoDB value
    if kind == "SS":
        return {"SS": sorted(value)}
    if kind == "NS":
        return {"NS": [_number_text(n) for n in sorted(value)]}  # type: ignore[arg-type]
    return {"BS": [base64.b64encode(b).decode("ascii") for b in sorted(value)]}  # type: ignore[arg-type]


def _number_text(number: Decimal) -> str:
    text = str(number)
    return text if "E" not in text else format(number, "f")


def from_wire(item: object, *, validate: bool = True) -> Item:
    """Parse an item from the wire format, validating it like :func:`validate_item`.

    ``validate=False`` only parses, for an item handed straight to the store, which
    validates what it is given (once is enough: validating costs as much as parsing).
    """
    if not isinstance(item, dict):
        raise ValidationError("An item must be a map of attribute names to values")
    parsed = {name: value_from_wire(value) for name, value in item.items()}
    return validate_item(parsed) if validate else parsed


def value_from_wire(wire: object) -> Value:
    """Parse one attribute value from the wire format (not yet validated)."""
    if not isinstance(wire, dict) or not wire:
        raise ValidationError(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    if len(wire) != 1:
        raise ValidationError(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        )
    ((kind, raw),) = wire.items()
    if kind == "S" and isinstance(raw, str):
        return raw
    if kind == "N" and isinstance(raw, str):
        return _parse_number(raw)
    if kind == "B" and isinstance(raw, str):
        return _parse_binary(raw)
    if kind == "BOOL" and isinstance(raw, bool):
        return raw
    if kind == "NULL":
        if raw is not True:
            raise ValidationError(
                _INVALID + "Null attribute value types must have the value of true"
            )
        return None
    if kind == "L" and isinstance(raw, list):
        return [value_from_wire(element) for element in raw]
    if kind == "M" and isinstance(raw, dict):
        return {name: value_from_wire(value) for name, value in raw.items()}
    if kind in _SET_NAMES and isinstance(raw, list):
        return _set_from_wire(kind, raw)
    raise ValidationError(f"Supplied AttributeValue has an invalid {kind} value")


def _set_from_wire(kind: str, raw: list[Any]) -> Value:
    if not raw:
        raise ValidationError(_INVALID + f"An {_SET_NAMES[kind]} set  may not be empty")
    if not all(isinstance(element, str) for element in raw):
        raise ValidationError(f"Supplied AttributeValue has an invalid {kind} value")
    elements: set[Any]
    if kind == "SS":
        elements = set(raw)
    elif kind == "NS":
        elements = {normalize_number(_parse_number(text)) for text in raw}
    else:
        elements = {_parse_binary(text) for text in raw}
    if len(elements) != len(raw):
        raise ValidationError(_INVALID + f"Input collection {raw} contains duplicates.")
    return elements


def _parse_number(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except ArithmeticError:
        raise ValidationError(
            f"The parameter cannot be converted to a numeric value: {text}"
        ) from None


def _parse_binary(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("Invalid Binary value: not valid base64") from None
