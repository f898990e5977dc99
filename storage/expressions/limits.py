"""DynamoDB's expression limits and the one way this package builds its errors.

Limits from the DynamoDB Developer Guide, "Service, account, and table quotas",
section "Expression parameters": an expression string is at most 4 KB, holds at
most 300 operators and functions, an IN list at most 100 operands, and a document
path at most 32 levels of nesting; all substitution variables of a request (the
ExpressionAttributeNames and ExpressionAttributeValues together) are at most 2 MB.
"""

from __future__ import annotations

from collections.abc import Mapping

from storage.errors import ValidationError
from storage.values import item_size

__all__ = [
    "MAX_EXPRESSION_BYTES",
    "MAX_IN_OPERANDS",
    "MAX_OPERATORS",
    "MAX_PARENTHESES_DEPTH",
    "MAX_PATH_DEPTH",
    "MAX_SUBSTITUTIONS_BYTES",
    "check_substitutions_size",
    "invalid",
]

MAX_EXPRESSION_BYTES = 4096
MAX_OPERATORS = 300
MAX_IN_OPERANDS = 100
MAX_PATH_DEPTH = 32
MAX_SUBSTITUTIONS_BYTES = 2 * 1024 * 1024
# Not a DynamoDB limit: it keeps the recursive-descent parser far below Python's
# recursion limit, so hostile input gets a ValidationError, never a RecursionError.
MAX_PARENTHESES_DEPTH = 64


def invalid(label: str, detail: str) -> ValidationError:
    """The ValidationError DynamoDB raises for a bad expression parameter.

    ``label`` names the request parameter (``"ConditionExpression"``, ...), as in
    DynamoDB's ``Invalid ConditionExpression: Syntax error; ...``.
    """
    return ValidationError(f"Invalid {label}: {detail}")


def check_substitutions_size(names: Mapping[str, object], values: Mapping[str, object]) -> None:
    """ValidationError when the names and values of a request pass 2 MB together.

    Each name counts its key and attribute name in UTF-8, each value its key and the
    value's size as an item attribute ("Item sizes and formats").
    """
    size = sum(_text_size(key) + _text_size(str(name)) for key, name in names.items())
    for key, value in values.items():
        size += _value_size(key, value)
        if size > MAX_SUBSTITUTIONS_BYTES:
            break
    if size > MAX_SUBSTITUTIONS_BYTES:
        raise ValidationError(
            "ExpressionAttributeNames and ExpressionAttributeValues have exceeded the maximum "
            f"allowed size of {MAX_SUBSTITUTIONS_BYTES} bytes"
        )


def _text_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _value_size(key: str, value: object) -> int:
    try:
        return item_size({key: value})  # type: ignore[dict-item]
    except (TypeError, ValueError, StopIteration):
        # A value built by code and not normalised yet (an int, an empty set): its text.
        return _text_size(key) + _text_size(str(value))
