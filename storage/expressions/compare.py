"""How DynamoDB compares values, as the evaluators need it on every item.

- ``=`` is deep equality by DynamoDB type: ``True`` never equals ``1`` (Python says
  it does), sets compare as sets, numbers by value (``1.0 = 1``).
- ``< <= > >=`` order only two values of the same scalar type: S by UTF-8 bytes
  (the same order as code points), B by unsigned bytes, N numerically. Anything
  else is "not ordered": the comparison is simply false, not an error.
- A missing attribute is ``MISSING``, distinct from ``None`` (which is NULL).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Literal, TypeAlias

from storage.values import Value

__all__ = [
    "MISSING",
    "Missing",
    "Resolved",
    "begins_with",
    "contains",
    "lookup",
    "order",
    "size_of",
    "values_equal",
]


class Missing(Enum):
    """The type of ``MISSING``: what a path resolves to when the item lacks it."""

    MISSING = "MISSING"


MISSING: Final = Missing.MISSING
Resolved: TypeAlias = Value | Literal[Missing.MISSING]

# type -> ordering family; bool is its own type in CPython, so it is left out
# even though it subclasses int.
_ORDER_FAMILY: Final[dict[type, str]] = {str: "S", bytes: "B", Decimal: "N", int: "N"}


def lookup(item: Mapping[str, Value], path: tuple[str | int, ...]) -> Resolved:
    """The value at ``path`` inside ``item``, or ``MISSING``."""
    current: Resolved = item.get(path[0], MISSING)  # type: ignore[arg-type]
    for part in path[1:]:
        if isinstance(part, str):
            if not isinstance(current, dict):
                return MISSING
            current = current.get(part, MISSING)
            if current is MISSING:
                return MISSING
        elif isinstance(current, list) and part < len(current):
            current = current[part]
        else:
            return MISSING
    return current


def values_equal(left: object, right: object) -> bool:
    """DynamoDB ``=``: same type and same value, recursively."""
    if left is MISSING or right is MISSING:
        return False
    # bool first: Python says True == 1, DynamoDB says BOOL never equals N.
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, list):
        return (
            isinstance(right, list)
            and len(left) == len(right)
            and all(values_equal(a, b) for a, b in zip(left, right, strict=True))
        )
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and left.keys() == right.keys()
            and all(values_equal(value, right[key]) for key, value in left.items())
        )
    if isinstance(left, set | frozenset):
        return isinstance(right, set | frozenset) and left == right
    if isinstance(right, list | dict | set | frozenset):
        return False
    # Scalars: str, bytes, Decimal/int, None; cross-type pairs compare unequal.
    return left == right


def order(left: object, right: object) -> int | None:
    """-1, 0 or 1 when both are the same scalar type (S, N or B), else None."""
    family = _ORDER_FAMILY.get(type(left))
    if family is None or family != _ORDER_FAMILY.get(type(right)):
        return None
    a: Any = left
    b: Any = right
    return (a > b) - (a < b)  # type: ignore[no-any-return]


def size_of(value: object) -> Decimal | None:
    """``size(path)``: None when the function does not apply (missing, N, BOOL, NULL)."""
    if isinstance(value, str):
        # DynamoDB counts a string's size in UTF-16 code units.
        if value.isascii():
            return Decimal(len(value))
        return Decimal(len(value.encode("utf-16-le", "surrogatepass")) // 2)
    if isinstance(value, bytes | list | dict | set | frozenset):
        return Decimal(len(value))
    return None


def begins_with(value: object, prefix: object) -> bool:
    """``begins_with``: S with an S prefix, or B with a B prefix."""
    if isinstance(value, str):
        return isinstance(prefix, str) and value.startswith(prefix)
    if isinstance(value, bytes):
        return isinstance(prefix, bytes) and value.startswith(prefix)
    return False


def contains(container: object, operand: object) -> bool:
    """``contains``: substring of S/B, member of a set, or element of a list."""
    if isinstance(container, str):
        return isinstance(operand, str) and operand in container
    if isinstance(container, bytes):
        return isinstance(operand, bytes) and operand in container
    if isinstance(container, set | frozenset):
        # bool is hashable and equal to 1: keep it out of NS membership.
        return type(operand) in _ORDER_FAMILY and operand in container
    if isinstance(container, list):
        return any(values_equal(element, operand) for element in container)
    return False
