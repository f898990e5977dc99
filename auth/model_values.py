"""Model field values: their stored form, and Python's view of them.

The store holds DynamoDB types (numbers as exact ``Decimal``, no floats); a model's
fields are Python types (``int``, ``float``, ``datetime``, an ``Enum`` ...). Each
direction is a small pure function of the field's :class:`~auth.models.FieldSpec`:

- :func:`to_store` (what a function or GraphQL gives -> what is stored): ``float``
  becomes ``Decimal(repr(x))`` (the shortest exact text of the float), an enum member
  its ``value``, a ``datetime`` the fixed-width UTC text below, JSON objects have their
  floats converted likewise. A value of the wrong type is refused, naming the field.
- :func:`from_store` (stored -> Python): ``Decimal`` becomes ``int`` or ``float`` as
  declared, datetime text a ``datetime``, an enum value its member (``None`` for a value
  the enum no longer has). A stored value of another type than declared (written by a
  raw path) is handed over as it is rather than lost.

``datetime`` fields (and the server-owned ``created_at``/``updated_at``) are stored as
fixed-width UTC strings (``2026-01-31T09:30:00.000Z``, the format of JavaScript's
``toISOString``), so stored values sort and compare as text, which filters and key
conditions rely on.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from auth.errors import InvalidRequestError

if TYPE_CHECKING:
    from auth.models import FieldSpec

__all__ = ["format_instant", "from_store", "now_instant", "parse_instant", "to_store"]


def format_instant(moment: datetime) -> str:
    """The stored text of an aware datetime: UTC, millisecond precision, ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now_instant() -> str:
    """The current instant in stored form (``created_at`` and ``updated_at``)."""
    return format_instant(datetime.now(UTC))


def parse_instant(text: str) -> datetime:
    """An ISO 8601 text with a time zone as an aware datetime (ValueError otherwise)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        # Threat to correctness, not security: a naive time means a different instant
        # on every machine, and would sort wrongly against stored UTC values.
        raise ValueError("a time needs a time zone (Z or +hh:mm)")
    return moment


def to_store(spec: FieldSpec, value: Any) -> Any:
    """``value`` of field ``spec`` in its stored form (None stays None)."""
    if value is None:
        return None
    if spec.list_of:
        if not isinstance(value, list | tuple):
            raise _wrong(spec, "a list")
        return [_scalar_in(spec, element) for element in value]
    return _scalar_in(spec, value)


def _scalar_in(spec: FieldSpec, value: Any) -> Any:
    kind = spec.kind
    if kind == "string":
        return _checked(spec, value, str, "a string")
    if kind == "boolean":
        return _checked(spec, value, bool, "true or false")
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise _wrong(spec, "an integer")
        if isinstance(value, Decimal) and value != value.to_integral_value():
            raise _wrong(spec, "an integer")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise _wrong(spec, "a number")
        return Decimal(repr(float(value)))
    if kind == "decimal":
        return _decimal_in(spec, value)
    if kind == "datetime":
        return _instant_in(spec, value)
    if kind == "bytes":
        return _checked(spec, value, bytes, "bytes")
    if kind == "json":
        return _json_in(value)
    return _enum_in(spec, value)


def _checked(spec: FieldSpec, value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise _wrong(spec, what)
    return value


def _decimal_in(spec: FieldSpec, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise _wrong(spec, "a decimal number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _wrong(spec, "a decimal number") from None
    if not number.is_finite():
        raise _wrong(spec, "a finite decimal number")
    return number


def _instant_in(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise _wrong(spec, "a datetime with a time zone")
        return format_instant(value)
    if isinstance(value, str):
        try:
            return format_instant(parse_instant(value))
        except ValueError:
            raise _wrong(spec, "an ISO 8601 time with a time zone") from None
    raise _wrong(spec, "a datetime")


def _enum_in(spec: FieldSpec, value: Any) -> Any:
    enum_type = spec.enum_type
    if isinstance(value, enum.Enum):
        if enum_type is not None and not isinstance(value, enum_type):
            raise _wrong(spec, f"a {enum_type.__name__}")
        return value.value
    if enum_type is not None:
        try:
            return enum_type(value).value
        except ValueError:
            raise _wrong(spec, f"a {enum_type.__name__}") from None
    return value


def _json_in(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list | tuple):
        return [_json_in(element) for element in value]
    if isinstance(value, Mapping):
        return {str(key): _json_in(element) for key, element in value.items()}
    return value


def _wrong(spec: FieldSpec, expected: str) -> InvalidRequestError:
    return InvalidRequestError(f"Field '{spec.name}' must be {expected}.")


def from_store(spec: FieldSpec, value: Any) -> Any:
    """A stored value of field ``spec`` as Python shows it (None stays None)."""
    if value is None:
        return None
    if spec.list_of and isinstance(value, list | set | frozenset):
        return [_scalar_out(spec, element) for element in value]
    return _scalar_out(spec, value)


def _scalar_out(spec: FieldSpec, value: Any) -> Any:
    kind = spec.kind
    if kind == "int" and isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if kind == "float" and isinstance(value, Decimal):
        return float(value)
    if kind == "datetime" and isinstance(value, str):
        try:
            return parse_instant(value)
        except ValueError:
            return value
    if kind == "enum" and spec.enum_type is not None:
        try:
            return spec.enum_type(value)
        except ValueError:
            return None
    if kind == "json":
        return json_out(value)
    return value


def json_out(value: Any) -> Any:
    """A stored JSON value with numbers as ``int``/``float`` and sets as lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | set | frozenset):
        return [json_out(element) for element in value]
    if isinstance(value, Mapping):
        return {key: json_out(element) for key, element in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value
